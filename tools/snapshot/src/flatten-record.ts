/**
 * A recipient topic's records as flat table rows, for the analytics export: one column per field of the
 * topic's Avro schema, each with the field's doc as its comment. Pure.
 *
 * The names are avro-columns.ts's, as the snapshot's (columns.ts), so a query runs on either: a sub-record's fields become
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
import { type AvroField, ageColumnName, type Column, type ColumnPolicy, type FieldReader, flattenFields } from './avro-columns.ts';
import type { ColumnSpec } from './parquet.ts';

export type RecordColumn = Column;

/** Where a record sits in its topic. */
export interface RecordPosition {
  partition: number;
  offset: string;
}

export const POSITION_COLUMNS: readonly ColumnSpec[] = [
  { name: 'kafka_partition', type: 'INTEGER', comment: 'The partition of the recipient topic the record was read from.' },
  {
    name: 'kafka_offset',
    type: 'BIGINT',
    comment: "The record's offset in its partition: with kafka_partition it names the record, and orders a pseudonym's records.",
  },
];

/** The export's columns for a recipient topic's schema; `ageLabels` are the agreement's ages, when known. */
export function recordColumns(schema: object, ageLabels?: readonly string[]): RecordColumn[] {
  const { fields } = schema as { fields?: unknown };
  if (!Array.isArray(fields)) throw new Error('the topic schema is not an Avro record: nothing to make columns of');
  const columns = flattenFields(fields as AvroField[], exportPolicy(ageLabels));
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

/**
 * A topic's schema may have fields the snapshot's never has (other arrays, maps, wide unions): the export
 * keeps them, as JSON. Its ages are two columns each, as each record has them on dates of its own; without
 * the agreement's labels leeftijden is JSON too.
 */
function exportPolicy(ageLabels: readonly string[] | undefined): ColumnPolicy {
  return {
    ...(ageLabels === undefined ? {} : { ages: (prefix: string, read: FieldReader) => ageColumns(prefix, read, ageLabels) }),
    unsupported: (field, _prefix, name, read) => [
      {
        spec: { name, type: 'VARCHAR', comment: `${field.doc ? `${field.doc} ` : ''}As JSON.` },
        value: (record) => {
          const found = read(record);
          return found === null ? null : toJson(found);
        },
      },
    ],
  };
}

function ageColumns(prefix: string, read: FieldReader, labels: readonly string[]): RecordColumn[] {
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

function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
