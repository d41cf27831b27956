import { encode as libraryEncode } from '@kafkajs/confluent-schema-registry/dist/wireEncoder.js';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { loadAvroSchema } from './schema-files.ts';
import { toWireFormat } from './wire-format.ts';

// The library's own wire encoder (wireEncoder.ts), what the client called per record before: the reference.
const reference = (id: number, type: avro.Type, value: unknown): Buffer => libraryEncode(id, type.toBuffer(value));

const type = avro.Type.forSchema({
  type: 'record',
  name: 'Sample',
  namespace: 'test.wire',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'jaar', type: 'int' },
    { name: 'at', type: 'long' },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
});
const sample = (id: string, note: string | null = 'één') => ({ id, jaar: 2026, at: 1_767_225_600_000, note, tags: ['a', 'bé'] });

describe('toWireFormat', () => {
  it('given records, when encoded, then the bytes are those of the Confluent library: magic byte 0, the id big-endian, the Avro body', () => {
    for (const [id, value] of [
      [1, sample('a')],
      [0x01020304, sample('b', null)],
      [2_147_483_647, sample('')],
    ] as const) {
      const bytes = toWireFormat(id, type, value);
      expect(bytes.equals(reference(id, type, value))).toBe(true);
      expect(bytes[0]).toBe(0);
      expect(bytes.readInt32BE(1)).toBe(id);
      expect(type.fromBuffer(bytes.subarray(5))).toEqual(value);
    }
  });

  it('given the canonical register event schema, when an event is encoded, then the bytes equal the library encoding', () => {
    const canonical = avro.Type.forSchema(loadAvroSchema('register-event.avsc') as avro.Schema);
    const event = canonical.random();
    expect(toWireFormat(42, canonical, event).equals(reference(42, canonical, event))).toBe(true);
  });

  it('given a record larger than the scratch buffer, when encoded, then it is whole, and the next small record is right too', () => {
    const big = sample('x'.repeat(300_000));
    const bytes = toWireFormat(7, type, big);
    expect(bytes.equals(reference(7, type, big))).toBe(true);
    expect(toWireFormat(8, type, sample('small')).equals(reference(8, type, sample('small')))).toBe(true);
  });

  it('given two encodes, when the second is written, then the first buffer is unchanged (each result owns its bytes)', () => {
    const first = toWireFormat(1, type, sample('first'));
    const copy = Buffer.from(first);
    toWireFormat(2, type, sample('second-and-longer'));
    expect(first.equals(copy)).toBe(true);
  });

  it('given a value that does not fit the type, when encoded, then it throws', () => {
    expect(() => toWireFormat(1, type, { ...sample('a'), jaar: 'x' })).toThrow();
    expect(() => toWireFormat(1, type, { id: 'a' })).toThrow();
  });
});
