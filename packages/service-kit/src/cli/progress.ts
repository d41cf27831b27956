/**
 * Progress of a long-running CLI on stderr: a count, its rate, and the share and ETA when the total is
 * known. On a terminal one line redrawn in place a few times a second; elsewhere (CI, docker logs) a
 * plain line every ten seconds, so a log stays readable; nothing at all with --quiet.
 *
 * Drawn by cli-progress: it already does the part that is easy to get subtly wrong (redraw in place,
 * cut to the terminal's width, throttled redraws, a scheduled plain line when the stream is not a
 * terminal, an ETA over a moving window so a throttled or bursty run does not mislead). Its bar is not
 * wanted: the format function below writes the count line. listr2 and ora are task lists and spinners,
 * not counts. cli-progress reads Date.now and schedules with setTimeout, so tests drive it with fake
 * timers rather than an injected clock.
 */

import cliProgress from 'cli-progress';

/** Where progress goes: process.stderr, or anything with write (a test's stream). */
export interface ProgressStream {
  write(text: string): unknown;
  /** redraw in place when true */
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** starts every line, e.g. "export" */
  label: string;
  /** what is counted, plural: "records" (default), "events" */
  unit?: string;
  /** the count at which the work is done, when known: gives the share and an ETA */
  total?: number | undefined;
  /** default process.stderr */
  stream?: ProgressStream;
  /** shows nothing: neither progress nor the summary */
  quiet?: boolean;
  /** milliseconds between plain lines when the stream is not a terminal (default 10 s) */
  logEveryMs?: number;
}

/** Figures of a finished run, for a summary of one's own. */
export interface RunFigures {
  count: number;
  seconds: number;
  perSecond: number;
}

export interface Progress {
  /** the count so far; fields are shown after it in order ("persons: 300" gives "300 persons") */
  update(count: number, fields?: Record<string, number>): void;
  /** the total once it is known or better estimated */
  setTotal(total: number): void;
  /** ends the progress line and gives the figures; nothing more is written */
  stop(count?: number): RunFigures;
  /** stop, then one summary line: "<label>: done, <count> <unit> in <s> s (<rate> <unit>/s)[, extra]" */
  finish(count: number, extra?: string): void;
}

const TTY_REDRAW_MS = 250;
const LOG_EVERY_MS = 10_000;

/** cli-progress's bar, whose redraw timer never keeps a process alive (a run that failed before stop()). */
class UnrefBar extends cliProgress.SingleBar {
  override render(): void {
    super.render();
    (this as unknown as { timer?: { unref?: () => void } | null }).timer?.unref?.();
  }
}

export function createProgress(options: ProgressOptions): Progress {
  const { label, unit = 'records', quiet = false } = options;
  const stream = options.stream ?? process.stderr;
  let total = options.total;
  let count = 0;
  const started = Date.now();
  const figures = (): RunFigures => {
    const seconds = (Date.now() - started) / 1000;
    return { count, seconds, perSecond: seconds > 0 ? count / seconds : 0 };
  };
  // In a log the first line (0 so far) and the last (the same as the summary) would only be noise:
  // the bar's own writes are muted while it starts and stops there.
  const tty = stream.isTTY === true;
  let muted = false;
  const barStream: ProgressStream = {
    isTTY: tty,
    ...(stream.columns === undefined ? {} : { columns: stream.columns }),
    write: (text) => (muted ? true : stream.write(text)),
  };
  const bar = quiet
    ? undefined
    : new UnrefBar({
        stream: barStream as NodeJS.WritableStream,
        noTTYOutput: true,
        notTTYSchedule: options.logEveryMs ?? LOG_EVERY_MS,
        fps: 1000 / TTY_REDRAW_MS, // redraws on a terminal
        etaBuffer: 100,
        // the ETA is estimated again at every redraw, so a stalled run shows it growing, not frozen
        etaAsynchronousUpdate: true,
        // the summary replaces the last progress line on a terminal
        clearOnComplete: true,
        hideCursor: false,
        // cut to the terminal's width rather than switch its line wrapping off (a killed run would leave it off)
        linewrap: true,
        gracefulExit: false,
        format: (_options, params, payload) =>
          progressLine({
            label,
            unit,
            count: params.value,
            total,
            seconds: (Date.now() - started) / 1000,
            etaSeconds: typeof params.eta === 'number' ? params.eta : undefined,
            fields: payload as Record<string, number>,
          }),
      });
  // cli-progress needs a total; 0 with our own format stands for "unknown"
  muted = !tty;
  bar?.start(total ?? 0, 0, {});
  muted = false;
  let stopped = false;
  const stop = (final?: number): RunFigures => {
    if (final !== undefined) count = final;
    if (!stopped && bar) {
      muted = !tty;
      bar.update(count);
      bar.stop();
      muted = false;
    }
    stopped = true;
    return figures();
  };
  return {
    update(next, fields) {
      count = next;
      if (!stopped) bar?.update(next, fields ?? {});
    },
    setTotal(next) {
      total = next;
      bar?.setTotal(next);
    },
    stop,
    finish(final, extra) {
      const run = stop(final);
      if (!quiet) stream.write(`${summaryLine(label, unit, run, extra)}\n`);
    },
  };
}

export interface ProgressLine {
  label: string;
  unit: string;
  count: number;
  total: number | undefined;
  seconds: number;
  /** cli-progress's estimate over its moving window, when it has one */
  etaSeconds?: number | undefined;
  fields?: Record<string, number>;
}

/** "export: 500 records of 2000 (25%), 30 persons, 50 records/s, ETA 0:30" */
export function progressLine({ label, unit, count, total, seconds, etaSeconds, fields = {} }: ProgressLine): string {
  const rate = seconds > 0 ? count / seconds : 0;
  let head = `${label}: ${count} ${unit}`;
  if (total !== undefined && total > 0) head += ` of ${total} (${Math.min(100, Math.floor((count / total) * 100))}%)`;
  const parts = [head, ...Object.entries(fields).map(([name, value]) => `${value} ${name}`), `${Math.round(rate)} ${unit}/s`];
  if (total !== undefined && total > 0 && count < total && etaSeconds !== undefined && Number.isFinite(etaSeconds)) {
    parts.push(`ETA ${duration(etaSeconds)}`);
  }
  return parts.join(', ');
}

export function summaryLine(label: string, unit: string, run: RunFigures, extra?: string): string {
  return `${label}: done, ${run.count} ${unit} in ${run.seconds.toFixed(1)} s (${Math.round(run.perSecond)} ${unit}/s)${extra ? `, ${extra}` : ''}`;
}

/** m:ss, or h:mm:ss from an hour on */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${Math.floor(s / 60)}:${ss}`;
}

/** The process's peak resident set so far, in MB (resourceUsage reports kilobytes). */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
