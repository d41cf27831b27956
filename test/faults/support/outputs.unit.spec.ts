import { describe, expect, it } from 'vitest';
import { avroDecoder, compare } from './outputs.ts';

// The fault suite's own checks must be able to fail: a lost, a repeated and an unknown record id are each
// counted, and bytes that are not Confluent wire format are told apart without asking the registry.

describe('compare (record ids of a scenario against the baseline)', () => {
  it('counts nothing when every id is there once', () => {
    expect(compare(['a', 'b', 'c'], ['c', 'a', 'b'])).toEqual({ lost: 0, duplicated: 0, unexpected: 0 });
  });

  it('counts a missing id as lost, a repeated one as duplicated, and one the baseline lacks as unexpected', () => {
    expect(compare(['a', 'b', 'c'], ['a', 'a', 'a', 'c', 'x'])).toEqual({ lost: 1, duplicated: 2, unexpected: 1 });
  });
});

describe('avroDecoder', () => {
  // an unreachable registry: these bytes must be refused before any schema is looked up
  const decode = avroDecoder('http://127.0.0.1:9/apis/ccompat/v7');

  it('takes bytes that are not Confluent wire format (magic byte, schema id, body) for poison', async () => {
    expect(await decode(Buffer.from('plain text, not avro'))).toBeUndefined();
    expect(await decode(Buffer.from([0x00, 0x01]))).toBeUndefined();
    expect(await decode(null)).toBeUndefined();
  });

  it('fails loudly when the registry cannot give the schema of wire-format bytes', async () => {
    await expect(decode(Buffer.from([0x00, 0, 0, 0, 7, 2, 0x61]))).rejects.toThrow();
  });
});
