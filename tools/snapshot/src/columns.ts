/**
 * The snapshot's table: the recipient's Avro schema (recipientSchema, made from its agreement) flattened to
 * flat columns an analyst can query, each with the schema's doc as its comment. Pure.
 *
 * - a sub-record's fields become <group>_<leaf> columns (inschrijving_brin), nested records likewise;
 * - the leeftijden array becomes one INTEGER column per age the agreement names (leeftijd_op_1_oktober),
 *   the reference date in its comment: in a snapshot every row's ages are on the same dates;
 * - dates (Avro date) are DATE given as 'YYYY-MM-DD'; enums are VARCHAR; timestamps are BIGINT epoch ms;
 * - the stream's `order` is order_token here (ORDER is an SQL keyword);
 * - two columns say which snapshot a row belongs to: peildatum and known_at, so snapshots can be stacked.
 */

import { type EpochDay, fromEpochDay } from '@register-feeds/register-model';
import type { ColumnSpec } from './parquet.ts';

/** A column and how its value is taken from a recipient record. */
export interface Column {
  spec: ColumnSpec;
  value(record: Record<string, unknown>): unknown;
}

/** An age of the agreement, resolved for the snapshot. */
export interface SnapshotAge {
  label: string;
  peildatum: EpochDay;
}

type AvroType = string | Record<string, unknown> | readonly unknown[];
interface AvroField {
  name: string;
  doc?: string;
  type: AvroType;
}

/** EpochDay to 'YYYY-MM-DD'. */
export const isoDate = (epochDay: EpochDay): string => fromEpochDay(epochDay);

export function ageColumnName(label: string): string {
  return `leeftijd_${label.replace(/[^A-Za-z0-9]+/g, '_')}`;
}

const RENAMED: Record<string, string> = { order: 'order_token' };

function scalarType(type: AvroType): { type: ColumnSpec['type']; convert: (value: unknown) => unknown } | null {
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        return { type: 'VARCHAR', convert: (v) => v };
      case 'int':
        return { type: 'INTEGER', convert: (v) => v };
      case 'long':
        return { type: 'BIGINT', convert: (v) => v };
      case 'boolean':
        return { type: 'BOOLEAN', convert: (v) => v };
      case 'float':
      case 'double':
        return { type: 'DOUBLE', convert: (v) => v };
      default:
        return null;
    }
  }
  if (Array.isArray(type)) return null;
  const t = type as Record<string, unknown>;
  if (t.type === 'enum') return { type: 'VARCHAR', convert: (v) => v };
  if (t.type === 'int' && t.logicalType === 'date') return { type: 'DATE', convert: (v) => isoDate(v as number) };
  if (t.type === 'long') return { type: 'BIGINT', convert: (v) => v };
  if (t.type === 'int') return { type: 'INTEGER', convert: (v) => v };
  return null;
}

/** The non-null branch of a ['null', T] union, or the type itself. */
function nonNull(type: AvroType): AvroType {
  if (!Array.isArray(type)) return type;
  const rest = type.filter((branch) => branch !== 'null');
  if (rest.length !== 1) throw new Error(`snapshot columns: a union of ${rest.length} non-null types is not supported`);
  return rest[0] as AvroType;
}

function flatten(
  fields: readonly AvroField[],
  prefix: string,
  get: (record: Record<string, unknown>) => unknown,
  ages: readonly SnapshotAge[],
): Column[] {
  const columns: Column[] = [];
  for (const field of fields) {
    const type = nonNull(field.type);
    const read = (record: Record<string, unknown>): unknown => {
      const parent = get(record) as Record<string, unknown> | null | undefined;
      return parent === null || parent === undefined ? null : (parent[field.name] ?? null);
    };
    if (typeof type === 'object' && !Array.isArray(type) && (type as Record<string, unknown>).type === 'record') {
      columns.push(...flatten((type as { fields: AvroField[] }).fields, `${prefix}${field.name}_`, read, ages));
      continue;
    }
    if (typeof type === 'object' && !Array.isArray(type) && (type as Record<string, unknown>).type === 'array') {
      if (field.name !== 'leeftijden') throw new Error(`snapshot columns: array field ${field.name} is not supported`);
      for (const age of ages) {
        columns.push({
          spec: {
            name: `${prefix}${ageColumnName(age.label)}`,
            type: 'INTEGER',
            comment: `The student's age in completed years on ${isoDate(age.peildatum)} (${age.label} in the agreement), for the snapshot's peildatum; null when the student was not yet born then or the agreement withheld it.`,
          },
          value: (record) => {
            const list = read(record) as Array<{ label: string; leeftijd: number | null }> | null;
            return list?.find((entry) => entry.label === age.label)?.leeftijd ?? null;
          },
        });
      }
      continue;
    }
    const scalar = scalarType(type);
    if (scalar === null) throw new Error(`snapshot columns: the type of ${prefix}${field.name} is not supported`);
    const name = `${prefix}${RENAMED[field.name] ?? field.name}`;
    columns.push({
      spec: { name, type: scalar.type, ...(field.doc === undefined ? {} : { comment: field.doc }) },
      value: (record) => {
        const found = read(record);
        return found === null ? null : scalar.convert(found);
      },
    });
  }
  return columns;
}

/** The columns of a recipient's snapshot, from its Avro schema (recipientSchema(agreement)). */
export function snapshotColumns(schema: Record<string, unknown>, ages: readonly SnapshotAge[]): Column[] {
  return flatten(schema.fields as AvroField[], '', (record) => record, ages);
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
