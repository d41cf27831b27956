import { describe, expect, it } from 'vitest';
import { decodeLine, type ExportedRecord, encodeLine, LineError } from './jsonl.ts';

describe('JSONL line codec', () => {
  it('round-trips raw records: bytes, nulls, empty headers', () => {
    const records: ExportedRecord[] = [
      {
        partition: 2,
        offset: '17',
        timestamp: '1700000000000',
        key: Buffer.from('k'),
        headers: { h: Buffer.from([0, 255, 1]) },
        value: Buffer.from([0, 1, 2, 250]),
      },
      { partition: 0, offset: '0', timestamp: '1', key: null, headers: {}, value: null },
      {
        partition: 1,
        offset: '9007199254740993',
        timestamp: '2',
        key: Buffer.alloc(0),
        headers: { empty: Buffer.alloc(0) },
        value: Buffer.from('{"a":1}'),
      },
    ];
    for (const r of records) expect(decodeLine(encodeLine(r))).toEqual(r);
  });

  it('round-trips decoded values with their schema id', () => {
    const r: ExportedRecord = {
      partition: 0,
      offset: '5',
      timestamp: '3',
      key: null,
      headers: {},
      valueJson: { a: [1, 'b'] },
      valueSchemaId: 42,
    };
    const line = encodeLine(r);
    expect(JSON.parse(line)).not.toHaveProperty('value');
    expect(decodeLine(line)).toEqual(r);
  });

  it('writes one line per record', () => {
    expect(encodeLine({ partition: 0, offset: '0', timestamp: '0', key: null, headers: {}, value: Buffer.from('a\nb') })).not.toContain(
      '\n',
    );
  });

  it('says which line is broken, without quoting it', () => {
    expect(() => decodeLine('{"partition": -1, "offset": "1"}', 'line 3')).toThrow(/line 3: partition/);
    expect(() => decodeLine('not json 123456782', 'line 4')).toThrow(LineError);
    expect(() => decodeLine('not json 123456782', 'line 4')).not.toThrow(/123456782/);
    expect(() => decodeLine('{"partition": 0, "offset": 7}')).toThrow(/offset/);
  });
});
