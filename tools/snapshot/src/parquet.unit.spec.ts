import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ColumnSpec, ParquetRowError, readColumnComments, sha256OfFile, writeParquet } from './parquet.ts';

const columns: ColumnSpec[] = [
  { name: 'record_id', type: 'VARCHAR', comment: "The stream's record id" },
  { name: 'brin', type: 'VARCHAR', comment: "The school's BRIN; it's quoted: 'x'" },
  { name: 'leeftijd', type: 'INTEGER' },
  { name: 'volgnummer', type: 'BIGINT', comment: 'Offset-like sequence' },
  { name: 'begindatum', type: 'DATE', comment: 'Start of the enrolment' },
  { name: 'actief', type: 'BOOLEAN', comment: '' },
  { name: 'fte', type: 'DOUBLE' },
  { name: 'opleiding.niveau', type: 'VARCHAR', comment: 'Nested field, dotted name' },
];

function sampleRows(): Record<string, unknown>[] {
  return [
    {
      record_id: 'r1',
      brin: '00AA',
      leeftijd: 17,
      volgnummer: 9_007_199_254_740_993n,
      begindatum: '2026-10-01',
      actief: true,
      fte: 0.5,
      'opleiding.niveau': '4',
    },
    {
      record_id: 'r2',
      brin: null,
      leeftijd: null,
      volgnummer: 2,
      begindatum: '1999-12-31',
      actief: false,
      fte: null,
      'opleiding.niveau': null,
    },
    // an absent key is a null
    { record_id: 'r3', begindatum: '2024-02-29' },
  ];
}

async function readBack(path: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT record_id, brin, leeftijd, volgnummer, strftime(begindatum, '%Y-%m-%d') AS begindatum, actief, fte,
              "opleiding.niveau", typeof(begindatum) AS begindatum_type, typeof(volgnummer) AS volgnummer_type
       FROM read_parquet('${path}')`,
    );
    return reader.getRowObjectsJS();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

// each test starts DuckDB and writes files: slow on a loaded machine, not wrong
describe('writeParquet', { timeout: 60_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parquet-unit-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes rows that DuckDB reads back as written, in order, with their types', async () => {
    const path = join(dir, 'rows.parquet');
    const written = await writeParquet(path, columns, sampleRows());

    expect(written.rows).toBe(3);
    expect(written.bytes).toBeGreaterThan(0);
    expect(written.sha256).toBe(await sha256OfFile(path));
    expect(await readBack(path)).toEqual([
      {
        record_id: 'r1',
        brin: '00AA',
        leeftijd: 17,
        volgnummer: 9_007_199_254_740_993n,
        begindatum: '2026-10-01',
        actief: true,
        fte: 0.5,
        'opleiding.niveau': '4',
        begindatum_type: 'DATE',
        volgnummer_type: 'BIGINT',
      },
      {
        record_id: 'r2',
        brin: null,
        leeftijd: null,
        volgnummer: 2n,
        begindatum: '1999-12-31',
        actief: false,
        fte: null,
        'opleiding.niveau': null,
        begindatum_type: 'DATE',
        volgnummer_type: 'BIGINT',
      },
      {
        record_id: 'r3',
        brin: null,
        leeftijd: null,
        volgnummer: null,
        begindatum: '2024-02-29',
        actief: null,
        fte: null,
        'opleiding.niveau': null,
        begindatum_type: 'DATE',
        volgnummer_type: 'BIGINT',
      },
    ]);
  });

  it('carries the column comments into the file, quotes and all; empty comments are left out', async () => {
    const path = join(dir, 'comments.parquet');
    await writeParquet(path, columns, sampleRows());

    expect(await readColumnComments(path)).toEqual({
      record_id: "The stream's record id",
      brin: "The school's BRIN; it's quoted: 'x'",
      volgnummer: 'Offset-like sequence',
      begindatum: 'Start of the enrolment',
      'opleiding.niveau': 'Nested field, dotted name',
    });
  });

  it('gives the same bytes for the same rows, from an async iterable as from an array', async () => {
    const first = await writeParquet(join(dir, 'a.parquet'), columns, sampleRows());
    async function* streamed() {
      for (const row of sampleRows()) yield row;
    }
    const second = await writeParquet(join(dir, 'b.parquet'), columns, streamed());
    // a memory limit small enough to spill to the temporary directory changes nothing either
    const spilled = await writeParquet(join(dir, 'd.parquet'), columns, sampleRows(), { memoryLimit: '8MB' });
    const reordered = await writeParquet(join(dir, 'c.parquet'), columns, sampleRows().reverse());

    expect(second.sha256).toBe(first.sha256);
    expect(second.bytes).toBe(first.bytes);
    expect(spilled.sha256).toBe(first.sha256);
    // and the hash does say something: other order, other bytes
    expect(reordered.sha256).not.toBe(first.sha256);
  });

  it('sorts by orderBy when asked: rows in any order give the same file', async () => {
    const sorted = await writeParquet(join(dir, 'sorted.parquet'), columns, sampleRows());
    const shuffled = [sampleRows()[2], sampleRows()[0], sampleRows()[1]] as Record<string, unknown>[];
    const resorted = await writeParquet(join(dir, 'resorted.parquet'), columns, shuffled, { orderBy: ['record_id'] });

    expect(resorted.sha256).toBe(sorted.sha256);
    await expect(writeParquet(join(dir, 'x.parquet'), columns, [], { orderBy: ['nope'] })).rejects.toThrow(
      "orderBy column 'nope' is not a column",
    );
  });

  // more rows than a data chunk or an appender flush takes
  it('streams many rows through and reports progress', async () => {
    const path = join(dir, 'many.parquet');
    const seen: number[] = [];
    function* many() {
      for (let i = 0; i < 120_000; i += 1) {
        yield { record_id: `r${i}`, leeftijd: i % 90, begindatum: '2026-10-01', actief: i % 2 === 0 };
      }
    }
    const written = await writeParquet(path, columns, many(), {
      onProgress: (n) => seen.push(n),
      progressEvery: 50_000,
    });

    expect(written.rows).toBe(120_000);
    expect(seen).toEqual([50_000, 100_000]);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(
      `SELECT count(*)::INTEGER AS n, sum(leeftijd)::BIGINT AS total, count(*) FILTER (actief)::INTEGER AS actief
       FROM read_parquet('${path}')`,
    );
    connection.closeSync();
    instance.closeSync();
    // sum of i % 90 over 0..119,999: 1,333 full cycles (4,005 each) and 0..29
    expect(reader.getRowObjectsJS()).toEqual([{ n: 120_000, total: 1_333n * 4_005n + 435n, actief: 60_000 }]);
  });

  it('refuses a value that does not fit its column, naming the row and column but not the value', async () => {
    const path = join(dir, 'bad.parquet');
    const bad = [{ record_id: 'r1', begindatum: '2026-02-30' }];
    await expect(writeParquet(path, columns, bad)).rejects.toThrow(new ParquetRowError(0, 'begindatum', 'a date that exists'));
    await expect(writeParquet(path, columns, [{ record_id: 'ok' }, { record_id: 'ok', leeftijd: 1.5 }])).rejects.toThrow(
      "row 1, column 'leeftijd': expected a 32-bit integer",
    );
    await expect(writeParquet(path, columns, [{ record_id: 'secret-bsn-123', brin: 42 }])).rejects.not.toThrow('secret-bsn-123');
    await expect(writeParquet(path, columns, [{ begindatum: '1-10-2026' }])).rejects.toThrow("an ISO date 'YYYY-MM-DD'");
  });

  it('refuses bad column specs', async () => {
    const path = join(dir, 'spec.parquet');
    await expect(writeParquet(path, [], [])).rejects.toThrow('no columns');
    await expect(
      writeParquet(
        path,
        [
          { name: 'a', type: 'VARCHAR' },
          { name: 'A', type: 'VARCHAR' },
        ],
        [],
      ),
    ).rejects.toThrow("column 'A' appears twice");
    await expect(writeParquet(path, [{ name: 'a', type: 'TEXT' as 'VARCHAR' }], [])).rejects.toThrow("column 'a' has type 'TEXT'");
  });
});
