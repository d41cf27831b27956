import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { decodeFeedValue, encodeFeedValue } from '../feed-value.ts';
import { ggd } from './ggd.ts';
import type { Projection } from './projection.ts';
import { internalPart, publicRow, rowJsonSchema, stateRow } from './row-shape.ts';
import { sampleStates } from './sample-states.test-support.ts';
import { stagemarkt } from './stagemarkt.ts';
import { svb } from './svb.ts';

// ajv-formats is CommonJS: under NodeNext its default import is the module object
const addFormats = formats as unknown as typeof formats.default;

// Real rows of every kind (folded from real recipient records): the public row has ISO dates and no
// versions and fits its JSON Schema; public + internal give the row back exactly, so a restart from the
// feed keeps every version (a field the fold writes but the shape forgets fails here).

const states = sampleStates();
const kinds = [
  ['stagemarkt', stagemarkt as Projection<unknown>, states.stagemarkt],
  ['svb', svb as Projection<unknown>, states.svb],
  ['ggd', ggd as Projection<unknown>, states.ggd],
] as const;

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);

describe.each(kinds)('the %s row shape', (_name, projection, state) => {
  const rows = projection.rows(state);
  const shape = projection.shape!;

  it('has rows to test with', () => {
    expect(rows.length).toBeGreaterThanOrEqual(3);
  });

  it('gives public rows with ISO dates, no versions, that fit its JSON Schema', () => {
    const validate = ajv.compile(rowJsonSchema(shape));
    for (const [key, row] of rows) {
      const out = publicRow(shape, row);
      expect(validate(out), `${key}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      const text = JSON.stringify(out);
      expect(text).not.toMatch(/"(version|presentVersion|removedVersion|occurredOn|recordId)"/);
      // every date-named field is a string date or null, never a day number
      for (const [, value] of text.matchAll(/"(?:[a-z]*datum|[a-zA-Z]*Einddatum|begindatum|einddatum)":([^,}]+)/gi)) {
        expect(value).toMatch(/^("\d{4}-\d{2}-\d{2}"|null)$/);
      }
    }
  });

  it('gives the row back from its public and internal parts, and through a feed value', () => {
    for (const [key, row] of rows) {
      expect(stateRow(shape, JSON.parse(JSON.stringify(publicRow(shape, row))), internalPart(shape, row)), key).toEqual(row);
      expect(decodeFeedValue(projection, encodeFeedValue(projection, row)), key).toEqual(row);
    }
  });

  it('restores the same state from its feed values (checksum)', () => {
    const restored = projection.emptyState();
    for (const [key, row] of rows) projection.load(restored, key, decodeFeedValue(projection, encodeFeedValue(projection, row)));
    expect(projection.checksum(restored)).toBe(projection.checksum(state));
  });

  it('still reads a feed value written before the envelope (the row as kept)', () => {
    for (const [key, row] of rows) expect(decodeFeedValue(projection, JSON.stringify(row)), key).toEqual(row);
  });
});

describe('a feed value', () => {
  it('is the public row with the versions beside it', () => {
    const [key, row] = stagemarkt.rows(states.stagemarkt).find(([, r]) => r.kind === 'bpv' && r.status === 'beeindigd')!;
    const value = JSON.parse(encodeFeedValue(stagemarkt as Projection<unknown>, row));
    expect(Object.keys(value).sort(), key).toEqual(['internal', 'row']);
    expect(value.row).toMatchObject({ kind: 'bpv', status: 'beeindigd', werkelijkeEinddatum: '2026-01-10', begindatum: '2025-09-01' });
    expect(value.row.version).toBeUndefined();
    expect(value.internal.version).toEqual(row.version);
  });

  it('of a projection without a shape is the row as it is', () => {
    expect(encodeFeedValue({}, { n: 1 })).toBe('{"n":1}');
    expect(decodeFeedValue({}, '{"row":1}')).toEqual({ row: 1 });
  });
});
