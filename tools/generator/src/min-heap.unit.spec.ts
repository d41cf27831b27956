import { describe, expect, it } from 'vitest';
import { createMinHeap } from './min-heap.ts';
import { createRandom } from './random.ts';

describe('createMinHeap', () => {
  it('given items pushed in any order, when popped, then they come out smallest first', () => {
    const random = createRandom(11);
    const heap = createMinHeap<number>((a, b) => a < b);
    const items = Array.from({ length: 1000 }, () => random.int(0, 500));
    for (const item of items) heap.push(item);
    expect(heap.size).toBe(1000);
    const out: number[] = [];
    for (let x = heap.pop(); x !== undefined; x = heap.pop()) out.push(x);
    expect(out).toEqual([...items].sort((a, b) => a - b));
    expect(heap.peek()).toBeUndefined();
  });
});
