/**
 * How a field of a recipient's Avro schema becomes a flat column: the one walk that both the snapshot's
 * table (columns.ts) and the topic export's (flatten-record.ts) are made with, so a query runs on either.
 * Pure.
 *
 * - a sub-record's fields become <group>_<leaf> columns (inschrijving_brin), nested records likewise;
 * - `order` becomes order_token (ORDER is an SQL keyword);
 * - dates (Avro date) are DATE given as 'YYYY-MM-DD'; enums are VARCHAR; timestamps stay BIGINT epoch ms;
 * - a field that may be null (['null', T]) is a column of T, null where the record has none.
 *
 * What the two tables do differently is theirs to say, through a ColumnPolicy: the ages (leeftijden) and any
 * field with no flat column type (the snapshot refuses it, the export writes it as JSON).
 */

import { fromEpochDay } from '@register-feeds/register-model';
import type { ColumnSpec } from './parquet.ts';

/** A column and how its value is taken from a recipient record. */
export interface Column {
  spec: ColumnSpec;
  value(record: Record<string, unknown>): unknown;
}

/** How a column reads its field's value from a whole record (null where a record on the way is absent). */
export type FieldReader = (record: Record<string, unknown>) => unknown;

export type AvroType = string | { type: string; [key: string]: unknown } | readonly unknown[];
export interface AvroField {
  name: string;
  doc?: string;
  type: AvroType;
}

/** What a table makes of the fields the walk has no flat column for. */
export interface ColumnPolicy {
  /** The columns of the leeftijden array; absent when the table has no ages to spread it over. */
  ages?(prefix: string, read: FieldReader): Column[];
  /**
   * The columns of a field with no flat column type: a union of several types, an array, a map, ...
   * `name` is the column the field would have had.
   */
  unsupported(field: AvroField, prefix: string, name: string, read: FieldReader): Column[];
}

export function ageColumnName(label: string): string {
  return `leeftijd_${label.replace(/[^A-Za-z0-9]+/g, '_')}`;
}

const RENAMED: Record<string, string> = { order: 'order_token' };

/** The columns of a record schema's fields, sub-records flattened into <group>_<leaf>. */
export function flattenFields(fields: readonly AvroField[], policy: ColumnPolicy): Column[] {
  return flatten(fields, '', (record) => record, policy);
}

function flatten(fields: readonly AvroField[], prefix: string, parentOf: FieldReader, policy: ColumnPolicy): Column[] {
  const columns: Column[] = [];
  for (const field of fields) {
    const type = withoutNull(field.type);
    const read: FieldReader = (record) => {
      const parent = parentOf(record) as Record<string, unknown> | null | undefined;
      return parent === null || parent === undefined ? null : (parent[field.name] ?? null);
    };
    const name = `${prefix}${RENAMED[field.name] ?? field.name}`;
    if (type !== undefined && isNamed(type, 'record')) {
      columns.push(...flatten(type.fields as AvroField[], `${prefix}${field.name}_`, read, policy));
      continue;
    }
    if (field.name === 'leeftijden' && policy.ages !== undefined && type !== undefined && isNamed(type, 'array')) {
      columns.push(...policy.ages(prefix, read));
      continue;
    }
    const scalar = type === undefined ? undefined : scalarOf(type);
    if (scalar === undefined) {
      columns.push(...policy.unsupported(field, prefix, name, read));
      continue;
    }
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

/** The type of a field that may be null: the one other branch of a ['null', T] union; undefined for a wider union. */
export function withoutNull(type: AvroType): Exclude<AvroType, readonly unknown[]> | undefined {
  if (!Array.isArray(type)) return type as Exclude<AvroType, readonly unknown[]>;
  const rest = type.filter((branch) => branch !== 'null');
  return rest.length === 1 ? (rest[0] as Exclude<AvroType, readonly unknown[]>) : undefined;
}

export function isNamed(type: Exclude<AvroType, readonly unknown[]>, kind: string): type is { type: string; [key: string]: unknown } {
  return typeof type === 'object' && type.type === kind;
}

function scalarOf(
  type: Exclude<AvroType, readonly unknown[]>,
): { type: ColumnSpec['type']; convert: (value: unknown) => unknown } | undefined {
  const base = typeof type === 'string' ? type : type.type;
  const logical = typeof type === 'string' ? undefined : type.logicalType;
  if (base === 'int' && logical === 'date') return { type: 'DATE', convert: (v) => fromEpochDay(v as number) };
  switch (base) {
    case 'string':
    case 'enum':
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
      return undefined;
  }
}
