import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { createKeyStore, generateTestKeys } from './keys.ts';
import { applyAgreement } from './minimise.ts';
import { camelCaseId, recipientSchema } from './output-schema.ts';
import { agreement, agreements, sampleEvents } from './sample-events.test-support.ts';

type AvroNode = Record<string, unknown>;
const NOW = Date.parse('2026-09-01T10:00:00Z');
const keys = createKeyStore(generateTestKeys(agreements.map((a) => a.recipient)));

/** Field names of the schema as dotted paths ('inschrijving.brin'). */
function schemaPaths(schema: AvroNode): string[] {
  return (schema.fields as AvroNode[]).flatMap((field) => {
    const type = Array.isArray(field.type) ? (field.type as unknown[]).find((t) => t !== 'null') : field.type;
    const isGroup = ['persoon', 'inschrijving', 'bpv'].includes(field.name as string);
    return isGroup ? ((type as AvroNode).fields as AvroNode[]).map((leaf) => `${field.name}.${leaf.name}`) : [field.name as string];
  });
}

describe('recipientSchema', () => {
  it.each(
    agreements.map((a) => [a.recipient]),
  )('given %s, when the schema is made, then avsc accepts it and it has only the agreement’s fields plus the envelope', (recipient) => {
    // given
    const a = agreement(recipient);
    // when
    const schema = recipientSchema(a);
    // then
    expect(() => avro.Type.forSchema(schema as avro.Schema)).not.toThrow();
    expect(`${schema.namespace}.${schema.name}`).toBe(`nl.onderwijs.register.v1.recipient.${camelCaseId(recipient)}Record`);
    const envelope = ['recordId', 'eventType', 'occurredOn', 'order', ...(a.identity === 'pseudonym' ? ['persoon.pseudonym'] : [])];
    expect(schemaPaths(schema).sort()).toEqual([...a.fields, ...envelope].sort());
  });

  it.each(
    agreements.map((a) => [a.recipient]),
  )('given %s, when the schema is made, then every field and named type has a doc', (recipient) => {
    const undocumented: string[] = [];
    const visit = (node: unknown, path: string): void => {
      if (Array.isArray(node)) {
        for (const branch of node) visit(branch, path);
        return;
      }
      if (typeof node !== 'object' || node === null) return;
      const named = node as AvroNode;
      if ((named.type === 'record' || named.type === 'enum') && typeof named.doc !== 'string') undocumented.push(`${path} (${named.name})`);
      if (named.type === 'array') visit(named.items, `${path}[]`);
      for (const field of (named.fields as AvroNode[] | undefined) ?? []) {
        if (typeof field.doc !== 'string' || field.doc === '') undocumented.push(`${path}.${field.name}`);
        visit(field.type, `${path}.${field.name}`);
      }
    };
    visit(recipientSchema(agreement(recipient)), recipient);
    expect(undocumented).toEqual([]);
  });

  it.each(
    agreements.map((a) => [a.recipient]),
  )('given %s and every sample event, when applied, encoded and decoded, then each record is valid and unchanged', (recipient) => {
    // given
    const a = agreement(recipient);
    const type = avro.Type.forSchema(recipientSchema(a) as avro.Schema);
    // when
    const records = sampleEvents.map((event) => applyAgreement(event, a, keys.keyFor(recipient), NOW)).filter((r) => r !== null);
    // then
    expect(records.length).toBeGreaterThan(0);
    for (const { record } of records) {
      const errors: string[] = [];
      const valid = type.isValid(record, { noUndeclaredFields: true, errorHook: (path) => errors.push(path.join('.')) });
      expect({ valid, errors }).toEqual({ valid: true, errors: [] });
      expect(type.fromBuffer(type.toBuffer(record))).toEqual(record);
    }
  });

  it('given the GGD, when the schema is made, then the number and name are always there and the schema says the whole record is about minors only', () => {
    const schema = recipientSchema(agreement('ggd-jeugdgezondheid'));
    const persoon = (schema.fields as AvroNode[]).find((f) => f.name === 'persoon')!;
    const nummer = ((persoon.type as AvroNode).fields as AvroNode[]).find((f) => f.name === 'nummer')!;
    expect(nummer.type).toBe('string');
    expect(schema.doc).toMatch(/only when the student is younger than 18 on the date of the change and on the date of delivery/);
  });

  it('given S-BB, which gets enrolment and BPV events, when the schema is made, then bpv is nullable and bpv.status is not', () => {
    const bpv = (recipientSchema(agreement('sbb-stagemarkt')).fields as AvroNode[]).find((f) => f.name === 'bpv')!;
    const record = (bpv.type as unknown[])[1] as AvroNode;
    expect((bpv.type as unknown[])[0]).toBe('null');
    expect((record.fields as AvroNode[]).find((f) => f.name === 'status')!.type).toMatchObject({ type: 'enum', name: 'BpvStatus' });
  });

  it('given an agreement with a time precision finer than the date, when the schema is made, then occurredAt is in it', () => {
    const a = { ...agreement('svb-kostendelersnorm'), timePrecision: 'millisecond' as const };
    expect(schemaPaths(recipientSchema(a))).toContain('occurredAt');
    expect(schemaPaths(recipientSchema(agreement('svb-kostendelersnorm')))).not.toContain('occurredAt');
  });
});
