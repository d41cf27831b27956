import type avro from 'avsc';

/**
 * One scratch buffer for every encode: the record is written once, behind its 5-byte header (magic byte 0,
 * the schema id big-endian), and copied out at its exact length. The library's encode serialised into its
 * own buffer, copied that, then concatenated header and body into a third (and went through two awaits and
 * a cache lookup per record); same bytes, fewer copies.
 */
let scratch = Buffer.allocUnsafe(64 * 1024);

/** Confluent wire format of one record; throws what avsc throws for a value that does not fit the type. */
export function toWireFormat(schemaId: number, type: avro.Type, payload: unknown): Buffer {
  for (;;) {
    scratch[0] = 0;
    scratch.writeInt32BE(schemaId, 1);
    const end = type.encode(payload, scratch, 5);
    if (end >= 0) {
      const out = Buffer.allocUnsafe(end);
      scratch.copy(out, 0, 0, end);
      return out;
    }
    // a negative end is the number of bytes that did not fit
    scratch = Buffer.allocUnsafe(2 * (scratch.length - end));
  }
}
