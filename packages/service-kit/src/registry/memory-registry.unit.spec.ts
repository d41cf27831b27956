import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  classifyError,
  RecordInvalidError,
  RecordUndecodableError,
  RegistryMisuseError,
  RegistryUnavailableError,
  SchemaIncompatibleError,
  SchemaNotFoundError,
} from './errors.ts';
import { createMemoryRegistry } from './memory-registry.ts';
import type { AvroSchemaJson } from './schema-registry.ts';

const v1: AvroSchemaJson = {
  type: 'record',
  name: 'Inschrijving',
  namespace: 'test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'jaar', type: 'int' },
  ],
};
/** adds a field with a default: a reader of v2 reads v1 data (BACKWARD), and v1 readers ignore it */
const v2: AvroSchemaJson = { ...v1, fields: [...v1.fields, { name: 'niveau', type: 'string', default: 'onbekend' }] };
/** adds a field without a default: a v3 reader cannot read v1 data */
const v3: AvroSchemaJson = { ...v1, fields: [...v1.fields, { name: 'leerweg', type: 'string' }] };
/** drops `jaar`: a v1 reader cannot read its data (not FORWARD), though it reads v1 data (BACKWARD) */
const withoutJaar: AvroSchemaJson = { ...v1, fields: [{ name: 'id', type: 'string' }] };

describe('memory registry: register and compatibility', () => {
  it('gives the same schema the same id, in any subject, and a new schema a new one', async () => {
    const registry = createMemoryRegistry();
    const a = await registry.register('a-value', v1, 'BACKWARD');
    expect(await registry.register('a-value', v1, 'BACKWARD')).toBe(a);
    expect(await registry.register('b-value', v1, 'BACKWARD')).toBe(a);
    const b = await registry.register('a-value', v2, 'BACKWARD');
    expect(b).not.toBe(a);
    expect(registry.versions('a-value').map((v) => v.id)).toEqual([a, b]);
    expect(await registry.compatibilityOf('a-value')).toBe('BACKWARD');
    expect(await registry.compatibilityOf('nothing-value')).toBeUndefined();
  });

  it('refuses what the level forbids: BACKWARD against the latest, BACKWARD_TRANSITIVE against every version, FORWARD, NONE', async () => {
    const registry = createMemoryRegistry();
    await registry.register('s-value', v1, 'BACKWARD');
    const refused = registry.register('s-value', v3, 'BACKWARD');
    await expect(refused).rejects.toBeInstanceOf(SchemaIncompatibleError);
    await expect(refused).rejects.toSatisfy((e) => classifyError(e) === 'bug');

    const onlyLatest = createMemoryRegistry();
    const needsNiveau: AvroSchemaJson = {
      ...v1,
      fields: [
        { name: 'id', type: 'string' },
        { name: 'niveau', type: 'string' },
      ],
    };
    await onlyLatest.register('u-value', v1, 'BACKWARD');
    await onlyLatest.register('u-value', v2, 'BACKWARD');
    // reads v2 (which has niveau) but not v1: BACKWARD accepts it, BACKWARD_TRANSITIVE does not
    await expect(onlyLatest.register('u-value', needsNiveau, 'BACKWARD_TRANSITIVE')).rejects.toBeInstanceOf(SchemaIncompatibleError);
    expect(await onlyLatest.register('u-value', needsNiveau, 'BACKWARD')).toBeGreaterThan(0);

    await registry.register('f-value', v1, 'FORWARD');
    await expect(registry.register('f-value', withoutJaar, 'FORWARD')).rejects.toBeInstanceOf(SchemaIncompatibleError);
    await registry.register('n-value', v1, 'NONE');
    expect(await registry.register('n-value', v3, 'NONE')).toBeGreaterThan(0);
  });
});

describe('memory registry: wire format', () => {
  it('encodes magic byte 0, the id, then Avro, and decodes a writer to the reader schema', async () => {
    const registry = createMemoryRegistry();
    const id1 = await registry.register('s-value', v1, 'BACKWARD');
    const id2 = await registry.register('s-value', v2, 'BACKWARD');
    const bytes = await registry.encode(id1, { id: 'a', jaar: 2025 });
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(id1);
    expect(bytes.subarray(5)).toEqual(avro.Type.forSchema(v1 as never).toBuffer({ id: 'a', jaar: 2025 }));

    expect(await registry.decode(bytes)).toEqual({ id: 'a', jaar: 2025 });
    // an old writer, a new reader: the default fills in
    expect(await registry.decode(bytes, v2)).toEqual({ id: 'a', jaar: 2025, niveau: 'onbekend' });
    // a new writer, an old reader: the field it does not know is left out
    expect(await registry.decode(await registry.encode(id2, { id: 'b', jaar: 2026, niveau: '4' }), v1)).toEqual({ id: 'b', jaar: 2026 });
  });

  it('throws the same errors as the real client, which classifyError sorts into poison and bug', async () => {
    const registry = createMemoryRegistry();
    const id = await registry.register('s-value', v1, 'BACKWARD');

    const invalid = registry.encode(id, { id: 'a', jaar: 'not a number' });
    await expect(invalid).rejects.toBeInstanceOf(RecordInvalidError);
    await expect(invalid).rejects.toMatchObject({ paths: ['jaar'] });
    await expect(invalid).rejects.not.toThrow(/not a number/); // paths, never values

    const poison = [
      registry.decode(Buffer.from([0, 0, 0])),
      registry.decode(Buffer.from([1, 0, 0, 0, 1, 2])),
      registry.decode(Buffer.from([0, 0, 0, 0, 99, 2])),
      registry.decode(Buffer.concat([Buffer.from([0, 0, 0, 0, id]), Buffer.from([0xff, 0xff, 0xff])])),
      registry.decode(null as unknown as Buffer),
    ];
    const errors = await Promise.all(
      poison.map((p) =>
        p.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    );
    expect(errors.map((e) => (e as Error).constructor.name)).toEqual([
      'RecordUndecodableError',
      'RecordUndecodableError',
      'SchemaNotFoundError',
      'RecordUndecodableError',
      'RecordUndecodableError',
    ]);
    expect(errors.map(classifyError)).toEqual(['poison', 'poison', 'poison', 'poison', 'poison']);
    expect(errors[2]).toBeInstanceOf(SchemaNotFoundError);
    expect(errors[0]).toBeInstanceOf(RecordUndecodableError);

    const unreadable = registry.decode(await registry.encode(id, { id: 'a', jaar: 1 }), v3);
    await expect(unreadable).rejects.toBeInstanceOf(RegistryMisuseError);
    await expect(unreadable).rejects.toSatisfy((e) => classifyError(e) === 'bug');
    await expect(registry.encode(404, { id: 'a', jaar: 1 })).rejects.toSatisfy((e) => classifyError(e) === 'bug');
  });
});

describe('memory registry: outage', () => {
  it('fails every request as retriable while down, and what a client has cached goes on working', async () => {
    const registry = createMemoryRegistry();
    const id = await registry.register('s-value', v1, 'BACKWARD');
    const bytes = await registry.encode(id, { id: 'a', jaar: 1 }); // register cached it: no request
    const otherService = registry.client();

    registry.setAvailable(false);
    const down = otherService.decode(bytes);
    await expect(down).rejects.toBeInstanceOf(RegistryUnavailableError);
    await expect(down).rejects.toSatisfy((e) => classifyError(e) === 'retriable');
    await expect(registry.decode(bytes)).rejects.toBeInstanceOf(RegistryUnavailableError); // decode has its own cache, still empty
    await expect(registry.register('s-value', v2, 'BACKWARD')).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(await registry.encode(id, { id: 'b', jaar: 2 })).toBeInstanceOf(Buffer); // cached

    registry.setAvailable(true);
    expect(await otherService.decode(bytes)).toEqual({ id: 'a', jaar: 1 });
    registry.setAvailable(false);
    expect(await otherService.decode(bytes)).toEqual({ id: 'a', jaar: 1 }); // the writer is cached now
    registry.setAvailable(true);
  });

  it('fails only the next requests with failNextRequests, and register waits them out within startupRetryMs', async () => {
    const registry = createMemoryRegistry();
    const waiting = registry.client({ startupRetryMs: 2_000 });
    registry.failNextRequests(2);
    const before = registry.requests();
    expect(await waiting.register('s-value', v1, 'BACKWARD')).toBeGreaterThan(0);
    expect(registry.requests() - before).toBe(3);
  });
});
