import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EventIdWindow, hashId } from './event-id-window.ts';

// The dedup window, pure: which ids ingest remembers (the newest maxIds by recorded time, none older than
// maxAgeMs), whatever order they are read in, checked against a plain model of the same rule.

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2026, 7, 1);

function clock(start = T0) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
      return t;
    },
  };
}

// mulberry32: a seeded stream, so a failing case can be run again
function seeded(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('EventIdWindow', () => {
  it('given more ids than the count window, then the newest by recorded time stay and the oldest are forgotten', () => {
    const c = clock();
    const window = new EventIdWindow({ maxIds: 3, maxAgeMs: 30 * DAY }, c.now);
    for (const [i, id] of ['a', 'b', 'c', 'd', 'e'].entries()) window.remember(id, T0 - 100 + i);
    expect(['a', 'b', 'c', 'd', 'e'].map((id) => window.has(id))).toEqual([false, false, true, true, true]);
    expect(window.size).toBe(3);
  });

  it('given ids read out of time order (partitions side by side), then the same newest ids stay as in time order', () => {
    const c = clock();
    const window = new EventIdWindow({ maxIds: 3, maxAgeMs: 30 * DAY }, c.now);
    // partition 0 first (old and new), then partition 1 (old and new)
    const read: [string, number][] = [
      ['p0-old', 1],
      ['p0-new', 50],
      ['p0-newest', 60],
      ['p1-old', 2],
      ['p1-new', 55],
    ];
    for (const [id, t] of read) window.remember(id, T0 - 100 + t);
    expect(['p0-old', 'p1-old', 'p0-new', 'p1-new', 'p0-newest'].map((id) => window.has(id))).toEqual([false, false, true, true, true]);
  });

  it('given an id recorded longer ago than the age window, then it is not remembered, and a remembered one is forgotten once it ages out', () => {
    const c = clock();
    const window = new EventIdWindow({ maxIds: 10, maxAgeMs: 30 * DAY }, c.now);
    window.remember('too-old', T0 - 31 * DAY);
    window.remember('recent', T0 - 29 * DAY);
    expect(window.has('too-old')).toBe(false);
    expect(window.has('recent')).toBe(true);

    c.advance(DAY + 1);
    // has() answers by the clock even before the sweep; the sweep frees the room
    expect(window.has('recent')).toBe(false);
    expect(window.size).toBe(1);
    window.expire();
    expect(window.size).toBe(0);
  });

  it('given an id remembered again later, then it keeps its first time (a repeat is measured from the first occurrence)', () => {
    const c = clock();
    const window = new EventIdWindow({ maxIds: 10, maxAgeMs: 10 * DAY }, c.now);
    window.remember('x', T0 - 9 * DAY);
    window.remember('x', T0);
    expect(window.size).toBe(1);
    c.advance(DAY + 1);
    expect(window.has('x')).toBe(false);
  });

  it('given a forgotten id (a tombstone), then it is not remembered and its room is reused', () => {
    const c = clock();
    const window = new EventIdWindow({ maxIds: 2, maxAgeMs: DAY }, c.now);
    window.remember('a', T0 - 3);
    window.remember('b', T0 - 2);
    window.forget('a');
    expect(window.has('a')).toBe(false);
    expect(window.size).toBe(1);
    window.remember('c', T0 - 1);
    // 'a' made room, so 'b' was not pushed out
    expect(['b', 'c'].map((id) => window.has(id))).toEqual([true, true]);
  });

  it('given many ids (the arrays grow), then each is found while it is in the window, and what it costs stays near 40 bytes an id', () => {
    const c = clock();
    const max = 20_000;
    const window = new EventIdWindow({ maxIds: max, maxAgeMs: DAY }, c.now);
    const ids = Array.from({ length: 30_000 }, () => randomUUID());
    ids.forEach((id, i) => {
      window.remember(id, T0 - 30_000 + i);
    });
    expect(window.size).toBe(max);
    expect(ids.slice(0, 10_000).some((id) => window.has(id))).toBe(false);
    expect(ids.slice(10_000).every((id) => window.has(id))).toBe(true);
    expect(window.bytes / max).toBeLessThan(48);
  });

  it.each([1, 2, 3, 4, 5])('given random reads, tombstones and passing time (seed %i), then it answers like the plain model', (seed) => {
    const random = seeded(seed);
    const c = clock();
    const maxIds = 1 + Math.floor(random() * 50);
    const maxAgeMs = 1000;
    const window = new EventIdWindow({ maxIds, maxAgeMs }, c.now);
    // the model: every id with its time, then the rule applied directly
    const model = new Map<string, number>();
    const modelRemember = (id: string, t: number) => {
      for (const [k, kt] of model) if (kt < c.now() - maxAgeMs) model.delete(k);
      if (t < c.now() - maxAgeMs || model.has(id)) return;
      if (model.size === maxIds) {
        const [oldest, oldestT] = [...model].reduce((a, b) => (b[1] < a[1] ? b : a));
        if (t < oldestT) return;
        model.delete(oldest);
      }
      model.set(id, t);
    };
    let unique = 0;
    for (let step = 0; step < 3000; step++) {
      const r = random();
      const id = `e-${Math.floor(random() * 200)}`;
      if (r < 0.6) {
        // times unique (no ties, where the rule leaves the choice open), mostly recent, some out of order
        const t = c.now() - Math.floor(random() * 1200) + unique++ / 10_000;
        window.remember(id, t);
        modelRemember(id, t);
      } else if (r < 0.65) {
        window.forget(id);
        model.delete(id);
      } else if (r < 0.75) {
        c.advance(Math.floor(random() * 100));
      } else {
        const expected = (model.get(id) ?? Number.NEGATIVE_INFINITY) >= c.now() - maxAgeMs;
        expect(window.has(id), `step ${step}: ${id}`).toBe(expected);
      }
    }
  });
});

describe('hashId', () => {
  it('given 100,000 UUIDs and 100,000 short sequential ids, then no two share a 128-bit hash', () => {
    const seen = new Set<string>();
    const out = new Uint32Array(4);
    const ids = [...Array.from({ length: 100_000 }, () => randomUUID()), ...Array.from({ length: 100_000 }, (_, i) => `e-${i}`)];
    for (const id of ids) {
      hashId(id, out);
      seen.add(`${out[0]}.${out[1]}.${out[2]}.${out[3]}`);
    }
    expect(seen.size).toBe(ids.length);
  }, 60_000);
});
