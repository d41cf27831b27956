/**
 * Rows to a JSON Lines file: one object per line, keys in column order, values as the Parquet writer gets
 * them (DATE as 'YYYY-MM-DD'). The same rows give the same bytes. Written beside the target and renamed at
 * the end, so a reader never sees half a file under its name.
 */

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ColumnSpec, ParquetWritten } from './parquet.ts';

const FLUSH_BYTES = 1 << 20;

export async function writeJsonl(
  path: string,
  columns: readonly ColumnSpec[],
  rows: Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>,
): Promise<ParquetWritten> {
  const partial = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  const out = createWriteStream(partial);
  const hash = createHash('sha256');
  let count = 0;
  let bytes = 0;
  let pending: string[] = [];
  let pendingLength = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const chunk = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    pendingLength = 0;
    hash.update(chunk);
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  };
  try {
    for await (const row of rows) {
      const line = `${JSON.stringify(Object.fromEntries(columns.map((c) => [c.name, row[c.name] ?? null])))}\n`;
      pending.push(line);
      pendingLength += line.length;
      count++;
      if (pendingLength >= FLUSH_BYTES) await flush();
    }
    await flush();
    out.end();
    await once(out, 'finish');
  } catch (error) {
    out.destroy();
    await rm(partial, { force: true });
    throw error;
  }
  await rename(partial, path);
  return { rows: count, bytes, sha256: hash.digest('hex') };
}
