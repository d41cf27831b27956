import { describe, expect, it } from 'vitest';
import { createByteArena } from './byte-arena.ts';

describe('byte arena', () => {
  it('gives back every byte string added, across chunks, and copies rather than keeps the caller’s buffer', () => {
    const arena = createByteArena();
    const added: Array<[number, Buffer]> = [];
    // some 12 MB in strings of up to 2,000 bytes: several 4 MB chunks and a grown index
    for (let i = 0; i < 12_000; i++) {
      const bytes = Buffer.alloc(1 + ((i * 7919) % 2000), i % 251);
      added.push([arena.add(bytes), Buffer.from(bytes)]);
      bytes.fill(0);
    }
    for (const [handle, bytes] of added) expect(arena.get(handle).equals(bytes)).toBe(true);
    expect(arena.bytes).toBeGreaterThanOrEqual(added.reduce((n, [, b]) => n + b.length, 0));
  });

  it('replaces in place what fits, appends what does not, and leaves other entries alone', () => {
    const arena = createByteArena();
    const first = arena.add(Buffer.from('0123456789'));
    const second = arena.add(Buffer.from('abcdef'));
    const held = arena.bytes;
    expect(arena.replace(first, Buffer.from('01234567890123'))).toBe(first);
    expect(arena.bytes).toBe(held);
    expect(arena.get(first).toString()).toBe('01234567890123');
    expect(arena.replace(first, Buffer.from('short'))).toBe(first);
    expect(arena.get(first).toString()).toBe('short');
    const moved = arena.replace(first, Buffer.alloc(100, 1));
    expect(moved).not.toBe(first);
    expect(arena.get(moved).equals(Buffer.alloc(100, 1))).toBe(true);
    expect(arena.get(second).toString()).toBe('abcdef');
  });

  it('takes a byte string larger than a chunk', () => {
    const arena = createByteArena();
    const big = Buffer.alloc(5 << 20, 7);
    const handle = arena.add(big);
    expect(arena.get(handle).equals(big)).toBe(true);
  });

  it('refuses a handle it never gave', () => {
    expect(() => createByteArena().get(0)).toThrow(RangeError);
  });
});
