import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgress, duration, progressLine, summaryLine } from './progress.ts';

// cli-progress reads Date.now and schedules with setTimeout: fake timers are the clock here.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { written, text: () => written.join(''), isTTY, columns: 120, write: (t: string) => written.push(t) };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape sequences are what is checked
const ESCAPE = /\u001b\[/;

describe('progressLine', () => {
  it('shows the count, share, fields, rate and ETA when the total is known', () => {
    expect(progressLine({ label: 'export', unit: 'records', count: 500, total: 2000, seconds: 10, etaSeconds: 30 })).toBe(
      'export: 500 records of 2000 (25%), 50 records/s, ETA 0:30',
    );
    expect(
      progressLine({ label: 'generate', unit: 'events', count: 25_000, total: undefined, seconds: 10, fields: { persons: 3000 } }),
    ).toBe('generate: 25000 events, 3000 persons, 2500 events/s');
    // no estimate yet (cli-progress says "NULL" or "INF"), or nothing left: no ETA
    expect(progressLine({ label: 'x', unit: 'records', count: 0, total: 10, seconds: 0, etaSeconds: undefined })).toBe(
      'x: 0 records of 10 (0%), 0 records/s',
    );
    expect(progressLine({ label: 'x', unit: 'records', count: 12, total: 10, seconds: 1, etaSeconds: 0 })).toBe(
      'x: 12 records of 10 (100%), 12 records/s',
    );
  });

  it('formats durations and summaries', () => {
    expect(duration(59.6)).toBe('1:00');
    expect(duration(3725)).toBe('1:02:05');
    expect(summaryLine('import', 'records', { count: 100, seconds: 20, perSecond: 5 }, 'into t')).toBe(
      'import: done, 100 records in 20.0 s (5 records/s), into t',
    );
  });
});

describe('createProgress', () => {
  it('writes a plain line every ten seconds when the stream is not a terminal, then a summary', () => {
    const out = stream(false);
    const progress = createProgress({ label: 'import', total: 1000, stream: out });
    expect(out.written).toEqual([]); // no line for nothing done yet
    for (let t = 1; t <= 25; t++) {
      progress.update(t * 20);
      vi.advanceTimersByTime(1000);
    }
    // at 10 s and 20 s, whatever the number of updates in between; the ETA from the updates' own rate
    expect(out.text()).toBe(
      'import: 200 records of 1000 (20%), 20 records/s, ETA 0:36\nimport: 400 records of 1000 (40%), 20 records/s, ETA 0:29\n',
    );
    expect(out.text()).not.toMatch(ESCAPE);
    out.written.length = 0;
    vi.advanceTimersByTime(4000);
    progress.finish(1000, 'into t');
    expect(out.text()).toBe(
      'import: done, 1000 records in 29.0 s (34 records/s), into t\n', // the summary, not a last progress line too
    );
    // stopped: no more lines, however long the process lives on
    out.written.length = 0;
    vi.advanceTimersByTime(60_000);
    progress.update(2000);
    expect(out.written).toEqual([]);
  });

  it('redraws one line in place on a terminal and replaces it with the summary', () => {
    const out = stream(true);
    const progress = createProgress({ label: 'generate', unit: 'events', stream: out });
    vi.advanceTimersByTime(1000);
    progress.update(500, { persons: 40 });
    vi.advanceTimersByTime(1000);
    progress.update(1000, { persons: 70 });
    vi.advanceTimersByTime(250); // the next redraw
    const drawn = out.text();
    expect(drawn).toContain('generate: 500 events, 40 persons, 500 events/s');
    expect(drawn).toContain('generate: 1000 events, 70 persons, 444 events/s');
    expect(drawn).not.toContain('\u001b[?7l'); // the terminal's line wrapping is left alone
    expect(drawn).not.toContain('\n'); // every redraw goes back to the start of the same line
    expect(drawn).toContain('\u001b[1G'); // cursor to column 1
    expect(drawn).toContain('\u001b[0K'); // rest of the line cleared
    out.written.length = 0;
    const run = progress.stop();
    expect(run).toEqual({ count: 1000, seconds: 2.25, perSecond: 1000 / 2.25 });
    expect(out.text()).not.toContain('\n');
    expect(out.text().endsWith('\u001b[1G\u001b[2K')).toBe(true); // the line is cleared for what comes next
  });

  it('estimates the time left from the recent rate when the total is known', () => {
    const out = stream(true);
    const progress = createProgress({ label: 'publish', total: 10_000, stream: out });
    for (let t = 1; t <= 10; t++) {
      vi.advanceTimersByTime(1000);
      progress.update(t * 100); // 100 records/s
    }
    vi.advanceTimersByTime(250);
    expect(out.text()).toContain('publish: 1000 records of 10000 (10%), 98 records/s, ETA 1:30');
    progress.setTotal(2000);
    vi.advanceTimersByTime(1000);
    progress.update(1100);
    vi.advanceTimersByTime(250);
    expect(out.text()).toContain('publish: 1100 records of 2000 (55%)');
    progress.stop();
  });

  it('lets the ETA grow while a run stalls', () => {
    const out = stream(false);
    const progress = createProgress({ label: 'import', total: 1000, stream: out });
    for (let t = 1; t <= 9; t++) {
      vi.advanceTimersByTime(1000);
      progress.update(t * 50);
    }
    vi.advanceTimersByTime(41_000); // lines at 10, 20, 30, 40 and 50 s; nothing done since 9 s
    const etas = out
      .text()
      .trim()
      .split('\n')
      .map((line) => /ETA (\d+):(\d+)$/.exec(line))
      .map((m) => Number(m?.[1]) * 60 + Number(m?.[2]));
    expect(etas).toHaveLength(5);
    for (let i = 1; i < etas.length; i++) expect(etas[i]).toBeGreaterThan(etas[i - 1] as number);
    progress.stop();
  });

  it('writes nothing with quiet, and still gives the figures', () => {
    const out = stream(true);
    const progress = createProgress({ label: 'export', total: 10, stream: out, quiet: true });
    vi.advanceTimersByTime(4000);
    progress.update(8);
    progress.finish(10, 'written');
    expect(out.written).toEqual([]);
    expect(progress.stop()).toMatchObject({ count: 10, seconds: 4 });
  });
});
