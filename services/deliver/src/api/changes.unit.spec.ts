import { describe, expect, it } from 'vitest';
import { createChangeLog, MAX_REMOVED } from './changes.ts';

describe('the change log', () => {
  it('numbers the rows that differ from the last seen, and the keys that left', () => {
    const log = createChangeLog();
    log.observe([
      ['a', { n: 1 }],
      ['b', { n: 1 }],
    ]);
    const first = log.position();
    expect(log.since(0)).toEqual({ changed: new Set(['a', 'b']), removed: [] });
    expect(log.since(first)).toEqual({ changed: new Set(), removed: [] });

    log.observe([
      ['a', { n: 1 }], // the same JSON: no change
      ['b', { n: 2 }],
      ['c', { n: 1 }],
    ]);
    const second = log.position();
    expect(log.since(first)).toEqual({ changed: new Set(['b', 'c']), removed: [] });

    log.observe([['c', { n: 1 }]]);
    expect(log.since(second)).toEqual({ changed: new Set(), removed: ['a', 'b'] });
    expect(log.since(first)).toEqual({ changed: new Set(['c']), removed: ['a', 'b'] });

    log.observe([
      ['a', { n: 3 }],
      ['c', { n: 1 }],
    ]); // a is back: changed, no longer removed
    expect(log.since(second)).toEqual({ changed: new Set(['a']), removed: ['b'] });
  });

  it('does not look at the same array twice, and knows no position ahead of its own', () => {
    const log = createChangeLog();
    const rows: [string, unknown][] = [['a', { n: 1 }]];
    log.observe(rows);
    rows[0] = ['a', { n: 2 }]; // the same array: taken as unchanged (the server hands a new one when the rows move)
    log.observe(rows);
    expect(log.position()).toBe(1);
    expect(log.since(2)).toBeUndefined();
  });

  it('forgets the oldest removals past its bound, and then refuses a position before them', () => {
    const log = createChangeLog();
    const keys = Array.from({ length: MAX_REMOVED + 2 }, (_, i) => `k${i}`);
    log.observe(keys.map((k) => [k, 1]));
    const before = log.position();
    log.observe([]);
    expect(log.since(before)).toBeUndefined(); // two removals were forgotten: the answer would be incomplete
    const after = log.position();
    expect(log.since(after)).toEqual({ changed: new Set(), removed: [] });
  });
});
