/**
 * A recipient topic's records as flat table rows, for the analytics export: one column per field of the
 * topic's Avro schema, each with the field's doc as its comment. Pure.
 *
 * The names follow the snapshot's (columns.ts), so a query runs on either: a sub-record's fields become
 * <group>_<leaf> (inschrijving_brin, bpv_leerbedrijf_id); `order` becomes order_token (ORDER is an SQL
 * keyword); dates (Avro date) are DATE; enums are VARCHAR; timestamps stay BIGINT epoch milliseconds.
 *
 * The ages (leeftijden) differ from a snapshot's: in the stream each record has its ages on dates of its
 * own (the date of the change, or the reference dates of its study year), so each age the agreement names
 * gets two columns, leeftijd_<label> and leeftijd_<label>_peildatum. Without the agreement the labels are
 * not known, and leeftijden is one VARCHAR of JSON. Any other array, map or union of several types is JSON
 * too: Parquet would take them, but the ColumnSpec types are flat on purpose.
 *
 * Two columns say where a record came from: kafka_partition and kafka_offset, unique per record, which is
 * also the order the file is written in.
 */

import { fromEpochDay } from '@register-feeds/register-model';
import { ageColumnName } from './columns.ts';
import type { ColumnSpec } from './parquet.ts';

export interface RecordColumn {
  spec: ColumnSpec;
  value(record: Record<string, unknown>): unknown;
}

/** Where a record sits in its topic. */
export interface RecordPosition {
  partition: number;
  offset: string;
}

type AvroType = string | { type: string; [key: string]: unknown } | readonly unknown[];
interface AvroField {
  name: string;
  doc?: string;
  type: AvroType;
}

export const POSITION_COLUMNS: readonly ColumnSpec[] = [
  { name: 'kafka_partition', type: 'INTEGER', comment: 'The partition of the recipient topic the record was read from.' },
  {
    name: 'kafka_offset',
    type: 'BIGINT',
    comment: "The record's offset in its partition: with kafka_partition it names the record, and orders a pseudonym's records.",
  },
];

const RENAMED: Record<string, string> = { order: 'order_token' };

/** The export's columns for a recipient topic's schema; `ageLabels` are the agreement's ages, when known. */
export function recordColumns(schema: object, ageLabels?: readonly string[]): RecordColumn[] {
  const { fields } = schema as { fields?: unknown };
  if (!Array.isArray(fields)) throw new Error('the topic schema is not an Avro record: nothing to make columns of');
  const columns = flatten(fields as AvroField[], '', (record) => record, ageLabels);
  const seen = new Set(POSITION_COLUMNS.map((c) => c.name.toLowerCase()));
  for (const column of columns) {
    const folded = column.spec.name.toLowerCase();
    if (seen.has(folded)) throw new Error(`the topic schema gives two columns the name ${column.spec.name}`);
    seen.add(folded);
  }
  return columns;
}

/** The flat row of one decoded record. */
export function recordRow(columns: readonly RecordColumn[], record: Record<string, unknown>, at: RecordPosition): Record<string, unknown> {
  const row: Record<string, unknown> = { kafka_partition: at.partition, kafka_offset: BigInt(at.offset) };
  for (const column of columns) row[column.spec.name] = column.value(record);
  return row;
}

export const exportColumnSpecs = (columns: readonly RecordColumn[]): ColumnSpec[] => [...POSITION_COLUMNS, ...columns.map((c) => c.spec)];

function flatten(
  fields: readonly AvroField[],
  prefix: string,
  parentOf: (record: Record<string, unknown>) => unknown,
  ageLabels: readonly string[] | undefined,
): RecordColumn[] {
  const columns: RecordColumn[] = [];
  for (const field of fields) {
    const type = withoutNull(field.type);
    const read = (record: Record<string, unknown>): unknown => {
      const parent = parentOf(record) as Record<string, unknown> | null | undefined;
      return parent === null || parent === undefined ? null : (parent[field.name] ?? null);
    };
    const name = `${prefix}${RENAMED[field.name] ?? field.name}`;
    const comment = field.doc;
    if (type !== undefined && isNamed(type, 'record')) {
      columns.push(...flatten(type.fields as AvroField[], `${prefix}${field.name}_`, read, ageLabels));
      continue;
    }
    if (field.name === 'leeftijden' && ageLabels !== undefined && type !== undefined && isNamed(type, 'array')) {
      columns.push(...ageColumns(prefix, read, ageLabels));
      continue;
    }
    const scalar = type === undefined ? undefined : scalarOf(type);
    if (scalar === undefined) {
      columns.push({
        spec: { name, type: 'VARCHAR', comment: `${comment ? `${comment} ` : ''}As JSON.` },
        value: (record) => {
          const found = read(record);
          return found === null ? null : toJson(found);
        },
      });
      continue;
    }
    columns.push({
      spec: { name, type: scalar.type, ...(comment === undefined ? {} : { comment }) },
      value: (record) => {
        const found = read(record);
        return found === null ? null : scalar.convert(found);
      },
    });
  }
  return columns;
}

function ageColumns(prefix: string, read: (record: Record<string, unknown>) => unknown, labels: readonly string[]): RecordColumn[] {
  const entryOf = (record: Record<string, unknown>, label: string) => {
    const list = read(record) as Array<{ label: string; peildatum: number; leeftijd: number | null }> | null;
    return list?.find((entry) => entry.label === label);
  };
  return labels.flatMap((label) => {
    const column = `${prefix}${ageColumnName(label)}`;
    return [
      {
        spec: {
          name: column,
          type: 'INTEGER',
          comment: `The age in completed years on ${column}_peildatum (${label} in the agreement); null when not yet born then or withheld.`,
        },
        value: (record: Record<string, unknown>) => entryOf(record, label)?.leeftijd ?? null,
      },
      {
        spec: { name: `${column}_peildatum`, type: 'DATE', comment: `The date the age ${label} is on, for this record.` },
        value: (record: Record<string, unknown>) => {
          const day = entryOf(record, label)?.peildatum;
          return day === undefined ? null : fromEpochDay(day);
        },
      },
    ] satisfies RecordColumn[];
  });
}

/** The type of a field that may be null: the one other branch of a ['null', T] union; undefined for a wider union. */
function withoutNull(type: AvroType): Exclude<AvroType, readonly unknown[]> | undefined {
  if (!Array.isArray(type)) return type as Exclude<AvroType, readonly unknown[]>;
  const rest = type.filter((branch) => branch !== 'null');
  return rest.length === 1 ? (rest[0] as Exclude<AvroType, readonly unknown[]>) : undefined;
}

function isNamed(type: Exclude<AvroType, readonly unknown[]>, kind: string): type is { type: string; [key: string]: unknown } {
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

function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
