import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { createMemoryRegistry } from './memory-registry.ts';
import { type AvroSchemaJson, type Compatibility, createSchemaRegistryClient, type SchemaRegistryClient } from './schema-registry.ts';

/**
 * The registry twin against the real registry (Apicurio): the same compatibility verdicts, the same
 * bytes after the wire-format header, the same decoded values and the same error classes.
 */

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const v1: AvroSchemaJson = {
  type: 'record',
  name: 'Inschrijving',
  namespace: 'twin.parity',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'jaar', type: 'int' },
  ],
};
const v2: AvroSchemaJson = { ...v1, fields: [...v1.fields, { name: 'niveau', type: 'string', default: 'onbekend' }] };
const noDefault: AvroSchemaJson = { ...v1, fields: [...v1.fields, { name: 'leerweg', type: 'string' }] };
const needsNiveau: AvroSchemaJson = {
  ...v1,
  fields: [
    { name: 'id', type: 'string' },
    { name: 'niveau', type: 'string' },
  ],
};

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (error: unknown) => (error as Error).name,
  );

async function observe(registry: SchemaRegistryClient) {
  const verdicts: Record<string, string> = {};
  const register = async (label: string, subject: string, schema: AvroSchemaJson, level: Compatibility) => {
    verdicts[label] = await outcome(registry.register(subject, schema, level));
  };
  const backward = unique('twin-parity-backward-value');
  const transitive = unique('twin-parity-transitive-value');
  await register('v1', backward, v1, 'BACKWARD');
  const id1 = await registry.register(backward, v1, 'BACKWARD');
  await register('v2 after v1', backward, v2, 'BACKWARD');
  await register('a field without default', backward, noDefault, 'BACKWARD');
  await register('reads only the latest (BACKWARD)', backward, needsNiveau, 'BACKWARD');
  await register('v1 (transitive)', transitive, v1, 'BACKWARD_TRANSITIVE');
  await register('v2 (transitive)', transitive, v2, 'BACKWARD_TRANSITIVE');
  await register('reads only the latest (BACKWARD_TRANSITIVE)', transitive, needsNiveau, 'BACKWARD_TRANSITIVE');
  const id2 = await registry.register(backward, v2, 'BACKWARD');

  const bytes = await registry.encode(id1, { id: 'a', jaar: 2025 });
  const newer = await registry.encode(id2, { id: 'b', jaar: 2026, niveau: '4' });
  const errorOf = (p: Promise<unknown>) =>
    p.then(
      () => 'decoded',
      (e: unknown) => `${(e as Error).name}:${String((e as { rule?: unknown }).rule)}`,
    );
  return {
    verdicts,
    sameIdAgain: (await registry.register(backward, v1, 'BACKWARD')) === id1,
    header: [bytes[0], bytes.readInt32BE(1) === id1],
    avro: bytes.subarray(5).toString('hex'),
    decoded: await registry.decode(bytes),
    oldToNew: await registry.decode(bytes, v2),
    newToOld: await registry.decode(newer, v1),
    invalid: await outcome(registry.encode(id1, { id: 'a', jaar: 'x' })),
    errors: {
      short: await errorOf(registry.decode(Buffer.from([0, 1]))),
      magic: await errorOf(registry.decode(Buffer.from([7, 0, 0, 0, 1, 0]))),
      unknownId: await errorOf(registry.decode(Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 0]))),
      garbage: await errorOf(registry.decode(Buffer.concat([bytes.subarray(0, 5), Buffer.from([0xff, 0xff, 0xff, 0xff])]))),
      unreadable: await errorOf(registry.decode(bytes, noDefault)),
    },
    compatibility: await registry.compatibilityOf(transitive),
  };
}

describe('memory registry parity with the real registry', () => {
  it('gives the same verdicts, bytes, values and errors', async () => {
    const real = createSchemaRegistryClient({ url: inject('schemaRegistryUrl') });
    const onRegistry = await observe(real);
    const onTwin = await observe(createMemoryRegistry());
    // the script did what it is about on the real registry
    expect(onRegistry.verdicts['a field without default']).toBe('SchemaIncompatibleError');
    expect(onRegistry.verdicts['reads only the latest (BACKWARD_TRANSITIVE)']).toBe('SchemaIncompatibleError');
    expect(onTwin).toEqual(onRegistry);
  });
});
