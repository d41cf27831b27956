import { describe, expect, it } from 'vitest';
import type { OutgoingMessage } from './bus.ts';
import { chunkByBytes } from './kafkajs-bus.ts';

describe('chunkByBytes', () => {
  const message = (n: number, size: number): OutgoingMessage => ({ topic: `t${n % 2}`, key: `k${n}`, value: Buffer.alloc(size) });

  it('keeps every message, in order, in chunks under the limit', () => {
    const messages = Array.from({ length: 1000 }, (_, i) => message(i, 1000));
    const chunks = chunkByBytes(messages, 100_000);
    expect(chunks.flat()).toEqual(messages);
    expect(chunks.length).toBeGreaterThan(9);
    for (const chunk of chunks) expect(chunk.reduce((n, m) => n + (m.value as Buffer).length, 0)).toBeLessThanOrEqual(100_000);
  });

  it('gives a message larger than the limit a chunk of its own rather than dropping it', () => {
    const chunks = chunkByBytes([message(1, 10), message(2, 500), message(3, 10)], 100);
    expect(chunks.map((c) => c.map((m) => m.key))).toEqual([['k1'], ['k2'], ['k3']]);
  });

  it('makes no chunk for nothing', () => {
    expect(chunkByBytes([], 100)).toEqual([]);
  });
});
