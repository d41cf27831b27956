import { recordFor } from '@register-feeds/deliver/test-support';
import { type Agreement, loadAgreements, recipientSchema } from '@register-feeds/pseudonymise';
import { describe, expect, it } from 'vitest';
import { exportColumnSpecs, recordColumns, recordRow } from './flatten-record.ts';

const agreements = loadAgreements(new URL('../../../agreements', import.meta.url).pathname);
const agreement = (recipient: string): Agreement => {
  const found = agreements.find((a) => a.recipient === recipient);
  if (found === undefined) throw new Error(`no agreement ${recipient}`);
  return found;
};
const labels = (a: Agreement) => a.ages.map((age) => age.label);

describe('recordColumns', () => {
  it("flattens S-BB Stagemarkt's schema to <group>_<leaf> columns with the schema's docs as comments", () => {
    const sbb = agreement('sbb-stagemarkt');
    const specs = exportColumnSpecs(recordColumns(recipientSchema(sbb), labels(sbb)));
    const byName = new Map(specs.map((s) => [s.name, s]));

    expect(specs.slice(0, 2).map((s) => s.name)).toEqual(['kafka_partition', 'kafka_offset']);
    expect(byName.get('order_token')?.type).toBe('BIGINT');
    expect(byName.get('occurredOn')?.type).toBe('DATE');
    expect(byName.get('inschrijving_brin')?.type).toBe('VARCHAR');
    expect(byName.get('inschrijving_niveau')?.type).toBe('INTEGER');
    expect(byName.get('bpv_leerbedrijf_id')?.type).toBe('VARCHAR');
    expect(byName.get('bpv_begindatum')?.type).toBe('DATE');
    expect(byName.get('bpv_status')?.type).toBe('VARCHAR');
    expect(byName.get('leeftijd_op_datum_wijziging')?.type).toBe('INTEGER');
    expect(byName.get('leeftijd_op_datum_wijziging_peildatum')?.type).toBe('DATE');
    // nothing nested is left over, and every field of the schema has its doc along
    expect(specs.every((s) => ['VARCHAR', 'INTEGER', 'BIGINT', 'DATE', 'BOOLEAN', 'DOUBLE'].includes(s.type))).toBe(true);
    expect(byName.get('inschrijving_brin')?.comment).toMatch(/BRIN/);
    expect(specs.filter((s) => !s.comment).map((s) => s.name)).toEqual([]);
  });

  it('makes the flat row of a BPV record: dates as ISO dates, the BPV group and the leerbedrijf flattened', () => {
    const sbb = agreement('sbb-stagemarkt');
    const columns = recordColumns(recipientSchema(sbb), labels(sbb));
    const record = recordFor<Record<string, unknown>>('sbb-stagemarkt', {
      eventId: 'e1',
      eventType: 'BpvGeregistreerd',
      on: '2025-09-01',
      geboortedatum: '2007-05-14',
      bpv: { leerbedrijf: { id: 'LB77', naam: 'Bakkerij BV' }, begindatum: '2025-09-01' },
    });

    const row = recordRow(columns, record, { partition: 2, offset: '41' });

    expect(row).toMatchObject({
      kafka_partition: 2,
      kafka_offset: 41n,
      recordId: record.recordId,
      eventType: 'BpvGeregistreerd',
      occurredOn: '2025-09-01',
      persoon_pseudonym: (record.persoon as { pseudonym: string }).pseudonym,
      inschrijving_brin: '25LX',
      inschrijving_niveau: 3,
      bpv_bpvVolgnummer: 1,
      bpv_leerbedrijf_id: 'LB77',
      bpv_leerbedrijf_naam: 'Bakkerij BV',
      bpv_begindatum: '2025-09-01',
      bpv_geplandeEinddatum: '2026-06-30',
      bpv_werkelijkeEinddatum: null,
      bpv_status: 'actueel',
      leeftijd_op_datum_wijziging: 18,
      leeftijd_op_datum_wijziging_peildatum: '2025-09-01',
    });
  });

  it('leaves the BPV columns null on an enrolment record', () => {
    const sbb = agreement('sbb-stagemarkt');
    const columns = recordColumns(recipientSchema(sbb), labels(sbb));
    const record = recordFor<Record<string, unknown>>('sbb-stagemarkt', {
      eventId: 'e2',
      eventType: 'InschrijvingGeregistreerd',
      on: '2025-08-01',
    });

    const row = recordRow(columns, record, { partition: 0, offset: '0' });

    expect(row.inschrijving_brin).toBe('25LX');
    expect(Object.entries(row).filter(([name]) => name.startsWith('bpv_'))).toEqual(
      columns.filter((c) => c.spec.name.startsWith('bpv_')).map((c) => [c.spec.name, null]),
    );
  });

  it("gives the Minister's four ages a column and a date each; without the agreement, leeftijden is JSON", () => {
    const minister = agreement('ocw-minister');
    const record = recordFor<Record<string, unknown>>('ocw-minister', {
      eventId: 'e3',
      eventType: 'InschrijvingGeregistreerd',
      on: '2025-08-01',
      geboortedatum: '2007-10-01',
    });

    const withLabels = recordRow(recordColumns(recipientSchema(minister), labels(minister)), record, { partition: 0, offset: '0' });
    expect(withLabels).toMatchObject({
      leeftijd_op_1_augustus: 17,
      leeftijd_op_30_september: 17,
      leeftijd_op_1_oktober: 18,
      leeftijd_op_31_december: 18,
      leeftijd_op_1_oktober_peildatum: '2025-10-01',
      inschrijving_begindatum: '2025-08-01',
      sector: 'MBO',
    });

    const without = recordRow(recordColumns(recipientSchema(minister)), record, { partition: 0, offset: '0' });
    expect(JSON.parse(without.leeftijden as string)).toEqual(record.leeftijden);
    expect(without).not.toHaveProperty('leeftijd_op_1_oktober');
  });

  it('refuses a schema that is not a record, or one whose fields would give two columns one name', () => {
    expect(() => recordColumns({ type: 'string' } as never)).toThrow('not an Avro record');
    expect(() =>
      recordColumns({
        fields: [
          { name: 'a_b', type: 'string' },
          { name: 'a', type: { type: 'record', name: 'A', fields: [{ name: 'b', type: 'int' }] } },
        ],
      }),
    ).toThrow('two columns the name a_b');
    expect(() => recordColumns({ fields: [{ name: 'kafka_offset', type: 'long' }] })).toThrow('two columns the name kafka_offset');
  });
});
