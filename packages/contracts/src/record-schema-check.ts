/**
 * Does a recipient record schema (Avro, as pseudonymise registers it for a recipient topic) carry what a
 * reader of those records needs? The check deliver's projections are held to against the agreements
 * (test/recipient-records.unit.spec.ts), and which a service can run against a registered schema.
 */

import { type FieldGroup, NULLABLE_FIELDS, NULLABLE_GROUPS, type RecipientFieldName } from './recipient-fields.ts';

type AvroNode = Record<string, unknown>;

const isNullUnion = (type: unknown): boolean => Array.isArray(type) && type.includes('null');
const withoutNull = (type: unknown): unknown => (Array.isArray(type) ? type.find((branch) => branch !== 'null') : type);

function fieldsOf(record: unknown): AvroNode[] {
  const fields = (record as AvroNode | undefined)?.fields;
  return Array.isArray(fields) ? (fields as AvroNode[]) : [];
}

/**
 * What the schema lacks for a reader of `fields`, one line per problem ([] when nothing): a field that is
 * missing, or that can be null in the schema where the reader's type says it cannot (an agreement's
 * condition, or an optional group). Names only, never values.
 */
export function recordSchemaProblems(schema: AvroNode, fields: readonly RecipientFieldName[]): string[] {
  const problems: string[] = [];
  const top = fieldsOf(schema);
  for (const name of fields) {
    const dot = name.indexOf('.');
    let field: AvroNode | undefined;
    if (dot < 0) {
      field = top.find((f) => f.name === name);
    } else {
      const groupName = name.slice(0, dot) as FieldGroup;
      const group = top.find((f) => f.name === groupName);
      if (group === undefined) {
        problems.push(`${name}: no ${groupName} group`);
        continue;
      }
      if (isNullUnion(group.type) && !NULLABLE_GROUPS.has(groupName)) problems.push(`${name}: the ${groupName} group can be null`);
      field = fieldsOf(withoutNull(group.type)).find((f) => f.name === name.slice(dot + 1));
    }
    if (field === undefined) problems.push(`${name}: missing`);
    else if (isNullUnion(field.type) && !NULLABLE_FIELDS[name]) problems.push(`${name}: can be null`);
  }
  return problems;
}
