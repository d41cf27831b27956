/**
 * One --rekey run over a source: first every source record is traced (what person identifiers the source
 * holds), then each record is rekeyed and its output, opened again from the bytes that will be written,
 * is scanned for any of them before the caller writes it. The thin edge between the pure parts (traces,
 * rekey, leak scan) and the registry (opening and closing Avro).
 */

import { randomBytes } from 'node:crypto';
import { createLeakScanner, LeakFound, type LeakScanner } from './leak-scan.ts';
import { type AvroCodec, closeTree, openTree } from './opened.ts';
import { createRekeyer, type RecordView } from './rekey.ts';
import { emptyTraces, mergeTraces, type Traces, tracesOf } from './traces.ts';

/** A record as read: the value as bytes, or as decoded (export --decode). */
export interface SourceRecord {
  key: Buffer | null;
  headers: Record<string, Buffer>;
  value: unknown;
}

export interface RekeyRun {
  /** pass 1: remembers the person identifiers of a source record */
  trace(record: SourceRecord): Promise<void>;
  /**
   * pass 2: the record rekeyed (and `finish`ed, e.g. encoded for the target), checked against every
   * identifier traced. Throws LeakFound, naming `position`, when one is left.
   */
  rekey(
    record: SourceRecord,
    position: string,
    finish?: (rekeyed: SourceRecord) => Promise<SourceRecord>,
  ): Promise<{ record: SourceRecord; dropped: number }>;
}

export function createRekeyRun({
  runKey = randomBytes(32),
  codec,
  outputCodec = codec,
}: {
  /** 32 random bytes per run, never stored */
  runKey?: Buffer;
  /** opens Avro in the source (and encodes it again); undefined: Avro bytes cannot be looked into and are dropped */
  codec: AvroCodec | undefined;
  /** opens Avro in the output for the scan, when the target's schemas differ from the source's (import) */
  outputCodec?: AvroCodec | undefined;
}): RekeyRun {
  const rekeyer = createRekeyer(runKey);
  const all = emptyTraces();
  let scanner: LeakScanner | undefined;
  let namesSeen = -1;

  const viewOf = async (record: SourceRecord, with_: AvroCodec | undefined): Promise<RecordView> => {
    const headers: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(record.headers)) headers[name] = await openTree(v, with_);
    return { key: await openTree(record.key, with_), headers, value: await openTree(record.value, with_) };
  };
  const scannerFor = (traces: Traces): LeakScanner => {
    // names are indexed once; they only change if a record was rekeyed without being traced first
    if (scanner === undefined || namesSeen !== traces.names.size) {
      scanner = createLeakScanner(traces);
      namesSeen = traces.names.size;
    }
    return scanner;
  };

  return {
    async trace(record) {
      mergeTraces(all, tracesOf(await viewOf(record, codec)));
    },
    async rekey(record, position, finish) {
      const view = await viewOf(record, codec);
      const own = tracesOf(view);
      mergeTraces(all, own);
      const rekeyed = rekeyer.rekeyRecord(view, own);
      const stats = { dropped: 0 };
      const headers: Record<string, Buffer> = {};
      for (const [name, v] of Object.entries(rekeyed.headers)) {
        headers[name] = ((await closeTree(v, codec, stats)) as Buffer | null) ?? Buffer.alloc(0);
      }
      let out: SourceRecord = {
        key: (await closeTree(rekeyed.key, codec, stats)) as Buffer | null,
        headers,
        value: await closeTree(rekeyed.value, codec, stats),
      };
      if (finish) out = await finish(out);
      const leak = scannerFor(all).findLeak(await viewOf(out, outputCodec), own);
      if (leak) throw new LeakFound(position, leak);
      return { record: out, dropped: stats.dropped };
    },
  };
}

/** For summaries: what a count of dropped values means. */
export const droppedNote = (dropped: number): string =>
  `${dropped} value(s) or bytes field(s) written as null: neither JSON nor Avro, so what they hold could not be seen`;
