import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { streamSink } from './stream-sink.ts';

/** A writable that takes a while per chunk and has a tiny buffer, so write() soon says "full". */
function slowWritable(chunks: string[]): Writable {
  return new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      setTimeout(callback, 1);
    },
  });
}

describe('streamSink', () => {
  it('given a slow stream, when batches are written, then each waits for room and all lines arrive in order', async () => {
    const chunks: string[] = [];
    const stream = slowWritable(chunks);
    const sink = streamSink(stream, { end: true });
    let maxBuffered = 0;
    for (let i = 0; i < 20; i++) {
      await sink.write([`{"n":${2 * i}}`, `{"n":${2 * i + 1}}`]);
      maxBuffered = Math.max(maxBuffered, stream.writableLength);
    }
    await sink.close();
    expect(chunks.join('')).toBe(Array.from({ length: 40 }, (_, n) => `{"n":${n}}\n`).join(''));
    // never more than one batch waits in the buffer: the writer was held back
    expect(maxBuffered).toBeLessThanOrEqual(32);
  });

  it('given a stream that fails, when written to afterwards, then the error comes out of write', async () => {
    const stream = new Writable({ write: (_c, _e, callback) => callback(Object.assign(new Error('closed pipe'), { code: 'EPIPE' })) });
    const sink = streamSink(stream, { end: false });
    await expect(sink.write(['{}'])).rejects.toThrow('closed pipe');
  });
});
