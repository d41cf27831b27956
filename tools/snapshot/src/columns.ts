/**
 * The snapshot's table: the recipient's Avro schema (recipientSchema, made from its agreement) flattened to
 * flat columns an analyst can query, each with the schema's doc as its comment. Pure.
 *
 * The names and types are avro-columns.ts's, the same as the topic export's:
 * - a sub-record's fields become <group>_<leaf> columns (inschrijving_brin), nested records likewise;
 * - the leeftijden array becomes one INTEGER column per age the agreement names (leeftijd_op_1_oktober),
 *   the reference date in its comment: in a snapshot every row's ages are on the same dates;
 * - dates (Avro date) are DATE given as 'YYYY-MM-DD'; enums are VARCHAR; timestamps are BIGINT epoch ms;
 * - the stream's `order` is order_token here (ORDER is an SQL keyword);
 * - two columns say which snapshot a row belongs to: peildatum and known_at, so snapshots can be stacked.
 */

import { type EpochDay, fromEpochDay } from '@register-feeds/register-model';
import { type AvroField, ageColumnName, type Column, type ColumnPolicy, flattenFields, isNamed, withoutNull } from './avro-columns.ts';

export { ageColumnName, type Column } from './avro-columns.ts';

/** An age of the agreement, resolved for the snapshot. */
export interface SnapshotAge {
  label: string;
  peildatum: EpochDay;
}

/** EpochDay to 'YYYY-MM-DD'. */
export const isoDate = (epochDay: EpochDay): string => fromEpochDay(epochDay);

/** The columns of a recipient's snapshot, from its Avro schema (recipientSchema(agreement)). */
export function snapshotColumns(schema: Record<string, unknown>, ages: readonly SnapshotAge[]): Column[] {
  return flattenFields(schema.fields as AvroField[], snapshotPolicy(ages));
}

/**
 * A snapshot's table is made from the recipient schema only, which has no field without a flat column: one
 * that turns up is a mistake to stop at, not to write. Its ages are one column each, on the snapshot's dates.
 */
function snapshotPolicy(ages: readonly SnapshotAge[]): ColumnPolicy {
  return {
    ages: (prefix, read) =>
      ages.map((age) => ({
        spec: {
          name: `${prefix}${ageColumnName(age.label)}`,
          type: 'INTEGER',
          comment: `The student's age in completed years on ${isoDate(age.peildatum)} (${age.label} in the agreement), for the snapshot's peildatum; null when the student was not yet born then or the agreement withheld it.`,
        },
        value: (record) => {
          const list = read(record) as Array<{ label: string; leeftijd: number | null }> | null;
          return list?.find((entry) => entry.label === age.label)?.leeftijd ?? null;
        },
      })),
    unsupported: (field, prefix) => {
      const type = withoutNull(field.type);
      if (type === undefined) {
        const branches = (field.type as readonly unknown[]).filter((branch) => branch !== 'null').length;
        throw new Error(`snapshot columns: a union of ${branches} non-null types is not supported`);
      }
      if (isNamed(type, 'array')) throw new Error(`snapshot columns: array field ${field.name} is not supported`);
      throw new Error(`snapshot columns: the type of ${prefix}${field.name} is not supported`);
    },
  };
}

/** The two columns that say which snapshot a row is of. */
export function snapshotIdentityColumns(peildatum: EpochDay, knownAt: number): Column[] {
  const day = isoDate(peildatum);
  const at = new Date(knownAt).toISOString();
  return [
    {
      spec: { name: 'peildatum', type: 'DATE', comment: 'The reference date of this snapshot: the enrolments that stood on it.' },
      value: () => day,
    },
    {
      spec: {
        name: 'known_at',
        type: 'VARCHAR',
        comment: 'Knowledge time of this snapshot (UTC, ISO 8601): only changes the register had recorded by then count.',
      },
      value: () => at,
    },
  ];
}
