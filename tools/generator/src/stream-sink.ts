/**
 * Where generated lines go: a file or stdout as JSON Lines, or a Kafka topic (kafka-sink.ts). Writing to
 * a stream respects backpressure: when write() says the buffer is full, wait for 'drain', so a slow disk
 * or a slow reader of a pipe holds the generator back instead of filling memory.
 */

import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

export interface LineSink {
  /** one batch of JSON lines, without newlines */
  write(lines: readonly string[]): Promise<void>;
  /** everything written is out (flushed, or acknowledged by the broker) */
  close(): Promise<void>;
}

/** `end: false` for stdout, which must stay open; true for a file, which is closed and awaited. */
export function streamSink(stream: Writable, { end }: { end: boolean }): LineSink {
  let failure: Error | undefined;
  // a closed pipe (`| head`) or a full disk arrives as an 'error' event, possibly between writes
  stream.on('error', (error) => {
    failure ??= error;
  });
  return {
    async write(lines) {
      if (failure) throw failure;
      if (lines.length === 0) return;
      if (!stream.write(`${lines.join('\n')}\n`)) await once(stream, 'drain');
    },
    async close() {
      if (failure) throw failure;
      if (end) {
        stream.end();
        await finished(stream);
        return;
      }
      await new Promise<void>((resolve, reject) => stream.write('', (error) => (error ? reject(error) : resolve())));
    },
  };
}
