import { describe, expect, it } from 'vitest';
import { snapshotColumns } from './columns.ts';
import { recordColumns } from './flatten-record.ts';

// A schema with what a recipient schema has (a nested record, `order`, a date, an enum, a nullable
// field, the ages) and what only a topic may have (a map, another array, a wide union).
const field = (name: string, type: unknown, doc = `the ${name}`) => ({ name, type, doc });
const common = [
  field('order', 'long'),
  field('occurredOn', { type: 'int', logicalType: 'date' }),
  field('inschrijving', {
    type: 'record',
    name: 'Inschrijving',
    fields: [
      field('brin', 'string'),
      field('status', { type: 'enum', name: 'Status', symbols: ['ACTIEF'] }),
      field('niveau', ['null', 'int']),
    ],
  }),
  field('leeftijden', { type: 'array', items: { type: 'record', name: 'Leeftijd', fields: [] } }),
];
const record = {
  order: 7n,
  occurredOn: 20_000,
  inschrijving: { brin: '25LX', status: 'ACTIEF', niveau: null },
  leeftijden: [{ label: 'op_1_oktober', peildatum: 20_362, leeftijd: 17 }],
};

describe('the one walk from Avro fields to columns', () => {
  it('names and reads the fields the same for the snapshot and the topic export; only the ages differ', () => {
    const snapshot = snapshotColumns({ fields: common }, [{ label: 'op_1_oktober', peildatum: 20_362 }]);
    const exported = recordColumns({ fields: common }, ['op_1_oktober']);
    const rowOf = (columns: typeof snapshot) => Object.fromEntries(columns.map((c) => [c.spec.name, c.value(record)]));

    const shared = {
      order_token: 7n,
      occurredOn: '2024-10-04',
      inschrijving_brin: '25LX',
      inschrijving_status: 'ACTIEF',
      inschrijving_niveau: null,
      leeftijd_op_1_oktober: 17,
    };
    expect(rowOf(snapshot)).toEqual(shared);
    expect(rowOf(exported)).toEqual({ ...shared, leeftijd_op_1_oktober_peildatum: '2025-10-01' });
    expect(snapshot.map((c) => c.spec.type)).toEqual(['BIGINT', 'DATE', 'VARCHAR', 'VARCHAR', 'INTEGER', 'INTEGER']);
    expect(exported.slice(0, 5).map((c) => c.spec)).toEqual(snapshot.slice(0, 5).map((c) => c.spec));
  });

  it('the snapshot refuses a field with no flat column; the export writes it as JSON', () => {
    const odd = [
      ['a map', field('extra', { type: 'map', values: 'string' }), 'snapshot columns: the type of extra is not supported'],
      ['another array', field('codes', { type: 'array', items: 'string' }), 'snapshot columns: array field codes is not supported'],
      ['a wide union', field('either', ['null', 'string', 'int']), 'snapshot columns: a union of 2 non-null types is not supported'],
    ] as const;
    for (const [what, oddField, message] of odd) {
      expect(() => snapshotColumns({ fields: [...common, oddField] }, []), what).toThrow(message);
      const column = recordColumns({ fields: [...common, oddField] }).at(-1);
      expect(column?.spec, what).toEqual({ name: oddField.name, type: 'VARCHAR', comment: `the ${oddField.name} As JSON.` });
      expect(column?.value({ [oddField.name]: { a: 1n } }), what).toBe('{"a":"1"}');
    }
  });

  it('without the agreement, the export writes the ages as JSON', () => {
    const leeftijden = recordColumns({ fields: common }).at(-1);
    expect(leeftijden?.spec).toMatchObject({ name: 'leeftijden', type: 'VARCHAR' });
    expect(leeftijden?.value(record)).toBe(JSON.stringify(record.leeftijden));
  });
});
