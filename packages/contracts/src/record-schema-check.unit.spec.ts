import { describe, expect, it } from 'vitest';
import { recordSchemaProblems } from './record-schema-check.ts';

// A hand-made schema in the form pseudonymise registers (envelope, top-level fields, groups as sub-records).
const schema = (inschrijving: Record<string, unknown>[], bpvGroupType: unknown = null) => ({
  type: 'record',
  name: 'TestRecord',
  fields: [
    { name: 'recordId', type: 'string' },
    { name: 'sector', type: { type: 'enum', name: 'Sector', symbols: ['PO', 'VO', 'MBO'] } },
    { name: 'inschrijving', type: { type: 'record', name: 'TestInschrijving', fields: inschrijving } },
    ...(bpvGroupType === null ? [] : [{ name: 'bpv', type: bpvGroupType, default: null }]),
  ],
});
const brin = { name: 'brin', type: 'string' };
const einddatum = { name: 'einddatum', type: ['null', { type: 'int', logicalType: 'date' }], default: null };

describe('recordSchemaProblems', () => {
  it('given a schema with every field a reader needs, null only where its type allows, then there is no problem', () => {
    expect(recordSchemaProblems(schema([brin, einddatum]), ['recordId', 'sector', 'inschrijving.brin', 'inschrijving.einddatum'])).toEqual(
      [],
    );
  });

  it('given a schema without a field or a group the reader needs, then each is named', () => {
    expect(recordSchemaProblems(schema([brin]), ['inschrijving.einddatum', 'persoon.nummer', 'leeftijden'])).toEqual([
      'inschrijving.einddatum: missing',
      'persoon.nummer: no persoon group',
      'leeftijden: missing',
    ]);
  });

  it('given a field the reader takes as never null that the schema lets be null (an agreement condition), then it is named', () => {
    const conditionalBrin = { name: 'brin', type: ['null', 'string'], default: null };
    expect(recordSchemaProblems(schema([conditionalBrin]), ['inschrijving.brin'])).toEqual(['inschrijving.brin: can be null']);
  });

  it('given the bpv group as a union with null (null on an enrolment event), then that is what the reader expects', () => {
    const bpv = ['null', { type: 'record', name: 'TestBpv', fields: [{ name: 'bpvVolgnummer', type: 'int' }] }];
    expect(recordSchemaProblems(schema([brin], bpv), ['bpv.bpvVolgnummer'])).toEqual([]);
  });
});
