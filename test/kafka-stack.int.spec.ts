import {
  type Admin,
  type ConsumedMessage,
  type Consumer,
  RecordInvalidError,
  SchemaIncompatibleError,
  valueSubject,
} from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, testStack, uniqueName, waitFor } from './support/stack.ts';

// The foundation's promises, on the real broker and registry: Avro through the registry, schema
// evolution rules enforced by the registry, a group that survives a member leaving, and a
// transactional consume-transform-produce round trip.

const { bus, registry } = testStack();
let admin: Admin;
const consumers: Consumer[] = [];

beforeAll(async () => {
  admin = await bus.admin();
});

afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.disconnect()));
  await admin.disconnect();
});

const greeting = {
  type: 'record',
  name: 'Greeting',
  namespace: 'test.foundation',
  doc: 'test record',
  fields: [
    { name: 'id', type: 'string', doc: 'id' },
    { name: 'count', type: 'int', doc: 'a number' },
  ],
} as const;

async function consumeInto(groupId: string, topic: string, sink: ConsumedMessage[], options: { readCommitted?: boolean } = {}) {
  const consumer = await bus.consumer({ groupId, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, ...options });
  consumers.push(consumer);
  await consumer.subscribe([topic], { fromBeginning: true });
  await consumer.run({
    autoCommit: true,
    eachBatch: async (batch) => {
      sink.push(...batch.messages);
    },
  });
  return consumer;
}

describe('Avro through the schema registry', () => {
  it('produces records encoded with a registered schema and consumes them decoded, in order', async () => {
    const topic = uniqueName('avro');
    await createTopics(admin, { name: topic, partitions: 1 });
    const id = await registry.register(valueSubject(topic), structuredClone(greeting) as never, 'BACKWARD_TRANSITIVE');

    const producer = await bus.producer();
    const sent = Array.from({ length: 20 }, (_, i) => ({ id: `g-${i}`, count: i }));
    await producer.send(await Promise.all(sent.map(async (g) => ({ topic, key: g.id, value: await registry.encode(id, g) }))));
    await producer.disconnect();

    const received: ConsumedMessage[] = [];
    await consumeInto(uniqueName('avro-group'), topic, received);
    await waitFor('20 records', () => received.length >= 20);

    const decoded = await Promise.all(received.map((m) => registry.decode(m.value!)));
    expect(decoded).toEqual(sent);
    // Confluent wire format: magic byte 0, then the 4-byte schema id
    const wire = received[0]?.value as Buffer;
    expect(wire[0]).toBe(0);
    expect(wire.readUInt32BE(1)).toBe(id);
    expect(received.map((m) => m.key?.toString())).toEqual(sent.map((g) => g.id));
  });

  it('decodes with the reader schema, so fields added later with defaults appear to an old writer’s records', async () => {
    const topic = uniqueName('avro-reader');
    const subject = valueSubject(topic);
    const v1 = await registry.register(subject, structuredClone(greeting) as never, 'BACKWARD_TRANSITIVE');
    const encoded = await registry.encode(v1, { id: 'a', count: 1 });
    const reader = {
      ...structuredClone(greeting),
      fields: [...greeting.fields, { name: 'note', type: ['null', 'string'], default: null, doc: 'new' }],
    };
    expect(await registry.decode(encoded, reader as never)).toEqual({ id: 'a', count: 1, note: null });
  });
});

describe('encoding errors', () => {
  it('name the offending fields and never quote their values', async () => {
    const id = await registry.register(valueSubject(uniqueName('invalid')), structuredClone(greeting) as never, 'BACKWARD_TRANSITIVE');
    const attempt = registry.encode(id, { id: '123456782', count: 'Test Persoon' });
    await expect(attempt).rejects.toBeInstanceOf(RecordInvalidError);
    const error = (await attempt.catch((e: unknown) => e)) as RecordInvalidError;
    expect(error.paths).toEqual(['count']);
    expect(error.message).not.toContain('Test Persoon');
  });
});

describe('schema evolution at the registry', () => {
  it('refuses an incompatible change and accepts an added optional field (BACKWARD_TRANSITIVE)', async () => {
    const subject = valueSubject(uniqueName('evolve'));
    const v1 = await registry.register(subject, structuredClone(greeting) as never, 'BACKWARD_TRANSITIVE');
    expect(await registry.compatibilityOf(subject)).toBe('BACKWARD_TRANSITIVE');

    // a new required field without a default: new readers cannot read old data
    const incompatible = {
      ...structuredClone(greeting),
      fields: [...greeting.fields, { name: 'required', type: 'string', doc: 'no default' }],
    };
    await expect(registry.register(subject, incompatible as never, 'BACKWARD_TRANSITIVE')).rejects.toBeInstanceOf(SchemaIncompatibleError);

    // changing a field's type is refused too
    const retyped = { ...structuredClone(greeting), fields: [greeting.fields[0], { name: 'count', type: 'string', doc: 'was int' }] };
    await expect(registry.register(subject, retyped as never, 'BACKWARD_TRANSITIVE')).rejects.toBeInstanceOf(SchemaIncompatibleError);

    const optional = {
      ...structuredClone(greeting),
      fields: [...greeting.fields, { name: 'note', type: ['null', 'string'], default: null, doc: 'optional' }],
    };
    const v2 = await registry.register(subject, optional as never, 'BACKWARD_TRANSITIVE');
    expect(v2).not.toBe(v1);
    // registering the same schema again is harmless and gives the same id
    expect(await registry.register(subject, optional as never, 'BACKWARD_TRANSITIVE')).toBe(v2);
  });
});

describe('consumer group', () => {
  it('keeps consuming every partition after a member leaves', async () => {
    const topic = uniqueName('group');
    const groupId = uniqueName('group');
    await createTopics(admin, { name: topic, partitions: 4 });
    const seenByA: ConsumedMessage[] = [];
    const seenByB: ConsumedMessage[] = [];
    const a = await consumeInto(groupId, topic, seenByA);
    const b = await consumeInto(groupId, topic, seenByB);
    await waitFor(
      'both members to share the four partitions',
      () => a.assignment().length > 0 && b.assignment().length > 0 && a.assignment().length + b.assignment().length === 4,
      {
        timeoutMs: 60_000,
      },
    );

    const producer = await bus.producer();
    const first = Array.from({ length: 40 }, (_, i) => ({ topic, key: `k-${i}`, value: `first-${i}` }));
    await producer.send(first);
    await waitFor('the first 40 across both members', () => seenByA.length + seenByB.length >= 40);
    expect(seenByA.length).toBeGreaterThan(0);
    expect(seenByB.length).toBeGreaterThan(0);

    await b.disconnect();
    consumers.splice(consumers.indexOf(b), 1);
    await waitFor('the remaining member to own all partitions', () => a.assignment().length === 4, { timeoutMs: 60_000 });

    const second = Array.from({ length: 40 }, (_, i) => ({ topic, key: `k-${i}`, value: `second-${i}` }));
    await producer.send(second);
    await producer.disconnect();
    await waitFor(
      'the second 40 at the remaining member',
      () => seenByA.filter((m) => m.value?.toString().startsWith('second-')).length >= 40,
    );

    const values = new Set([...seenByA, ...seenByB].map((m) => m.value?.toString()));
    for (const m of [...first, ...second]) expect(values.has(m.value)).toBe(true);
  });
});

describe('transactions', () => {
  it('consumes, produces and commits the consumed offsets in one transaction; aborted output stays invisible', async () => {
    const input = uniqueName('tx-in');
    const output = uniqueName('tx-out');
    const groupId = uniqueName('tx-group');
    await createTopics(admin, { name: input, partitions: 1 }, { name: output, partitions: 1 });

    const producer = await bus.producer();
    await producer.send(Array.from({ length: 30 }, (_, i) => ({ topic: input, key: `k-${i}`, value: `${i}` })));
    await producer.disconnect();

    // an aborted transaction on the output topic must never reach a read_committed reader
    const tx = await bus.transactionalProducer(uniqueName('tx-aborted'));
    const aborted = await tx.transaction();
    await aborted.send([{ topic: output, key: 'ghost', value: 'aborted' }]);
    await aborted.abort();
    await tx.disconnect();

    const txProducer = await bus.transactionalProducer(`${groupId}-${input}-0`);
    const worker = await bus.consumer({ groupId });
    consumers.push(worker);
    await worker.subscribe([input], { fromBeginning: true });
    await worker.run({
      autoCommit: false,
      eachBatch: async (batch) => {
        const transaction = await txProducer.transaction();
        try {
          await transaction.send(
            batch.messages.map((m) => ({ topic: output, key: m.key, value: `doubled:${Number(m.value?.toString()) * 2}` })),
          );
          const last = batch.messages.at(-1)!;
          await transaction.sendOffsets(groupId, [
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
          ]);
          await transaction.commit();
        } catch (error) {
          await transaction.abort();
          throw error;
        }
      },
    });

    const out: ConsumedMessage[] = [];
    await consumeInto(uniqueName('tx-reader'), output, out, { readCommitted: true });
    await waitFor('30 transformed records', () => out.length >= 30);
    expect(out.map((m) => m.value?.toString())).toEqual(Array.from({ length: 30 }, (_, i) => `doubled:${i * 2}`));
    expect(out.some((m) => m.key?.toString() === 'ghost')).toBe(false);

    // the consumed offsets were committed by the transaction, not by the consumer
    await waitFor('group offset at the end of the input', async () => {
      const [committed] = await admin.groupOffsets(groupId, input);
      return committed?.offset === '30';
    });
    await txProducer.disconnect();
  });
});

describe('registering concurrently', () => {
  it('lets several services register the same subject at the same moment', async () => {
    const subject = valueSubject(uniqueName('race'));
    const ids = await Promise.all(
      Array.from({ length: 6 }, () => registry.register(subject, structuredClone(greeting) as never, 'BACKWARD_TRANSITIVE')),
    );
    expect(new Set(ids).size).toBe(1);
    expect(await registry.compatibilityOf(subject)).toBe('BACKWARD_TRANSITIVE');
  });
});
