import type { Batch } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { PendingEventIds } from './pending-event-ids.ts';

const batch = (partition: number): Batch => ({ topic: 'raw', partition, messages: [], highWatermark: '0', lastOffset: '0' });

describe('PendingEventIds', () => {
  it('counts an id as known from its decision until its transaction ends, either way', () => {
    const pending = new PendingEventIds();
    const seen = new Set(['old']);
    const known = pending.orSeen(seen);
    const first = batch(0);
    const second = batch(1);
    pending.hold(first, ['a', 'b']);
    pending.hold(second, ['c']);
    expect(['old', 'a', 'b', 'c', 'd'].map((id) => known.has(id))).toEqual([true, true, true, true, false]);

    pending.release(first); // committed: the caller adds a and b to the seen ids itself
    expect([known.has('a'), known.has('c')]).toEqual([false, true]);
    pending.release(second); // aborted
    expect(known.has('c')).toBe(false);
    expect(pending.size).toBe(0);
    pending.release(second); // told twice: nothing left to release
    expect(known.has('old')).toBe(true);
  });
});
