import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  type Deliver,
  settings as deliverSettings,
  type SvbRecord,
  type SvbState,
  startDeliver,
  startProjection,
  svb,
} from '@register-feeds/deliver';
import { recordFor } from '@register-feeds/deliver/test-support';
import { loadAgreements, recipientSchema } from '@register-feeds/pseudonymise';
import {
  type Admin,
  createLogger,
  createSchemaRegistryClient,
  loadConfig,
  type MessageBus,
  topics,
  valueSubject,
} from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverTestEnv, deliverTestTopics } from './support/deliver-env.ts';
import { testBsn } from './support/raw-events.ts';
import { countingFailedDecodes, createRegistryProxy, type RegistryProxy } from './support/registry-proxy.ts';
import { createTopics, groupCaughtUp, readAll, testStack, uniqueName, waitFor } from './support/stack.ts';

// Deliver on the real stack, with records it must not fold: a record that can never be read goes to
// deliver's own dead-letter topic with its reasons and the projection reads on (lag 0); a transaction that
// fails leaves nothing of its batch visible in the state or the API; a registry outage dead-letters
// nothing, not even a record written with a newer (compatible) schema the service has not seen; and a
// projection that throws on a valid record stops that partition instead of dead-lettering valid data.

const { bus, registry, brokers, registryUrl } = testStack();
const SVB = 'svb-kostendelersnorm';
const id = uniqueName('deliver-dlq');
const tokens = { stagemarkt: randomBytes(16).toString('hex'), svb: randomBytes(16).toString('hex'), ggd: randomBytes(16).toString('hex') };
const topic = deliverTestTopics(id);
const deadLetterTopic = `${id}.dlq`;
const groupPrefix = `${id}.deliver`;
const svbAgreement = loadAgreements(new URL('../agreements', import.meta.url).pathname).find((a) => a.recipient === SVB)!;
const svbSchema = recipientSchema(svbAgreement) as Record<string, unknown> & { fields: unknown[] };
const logger = createLogger({ service: 'deliver-dlq-test', level: process.env.TEST_LOG_LEVEL ?? 'error' });

const bsn = { valid: testBsn(801), gated: testBsn(802), newer: testBsn(803), first: testBsn(804), bug: testBsn(805), after: testBsn(806) };
const svbRecord = (n: string, eventId: string) =>
  recordFor<SvbRecord>(SVB, { eventId, eventType: 'InschrijvingGeregistreerd', on: '2026-03-01', sector: 'MBO', bsn: n });

/**
 * The transaction of the next SVB batch after arm() waits at its commit until release(), then fails:
 * what the state and the API show while a batch's transaction is under way, and after it failed.
 */
function gatedBus(inner: MessageBus, transactionalIdPrefix: string) {
  let armed = false;
  let reached!: () => void;
  let release!: () => void;
  let atCommit = new Promise<void>((r) => {
    reached = r;
  });
  const released = new Promise<void>((r) => {
    release = r;
  });
  const gated: MessageBus = {
    producer: (o) => inner.producer(o),
    consumer: (o) => inner.consumer(o),
    admin: () => inner.admin(),
    async transactionalProducer(transactionalId) {
      const producer = await inner.transactionalProducer(transactionalId);
      if (!transactionalId.startsWith(transactionalIdPrefix)) return producer;
      return {
        disconnect: () => producer.disconnect(),
        async transaction() {
          const tx = await producer.transaction();
          return {
            send: (m) => tx.send(m),
            sendOffsets: (g, o) => tx.sendOffsets(g, o),
            abort: () => tx.abort(),
            async commit() {
              if (!armed) return tx.commit();
              armed = false;
              reached();
              await released;
              throw new Error('injected: the transaction fails at its commit');
            },
          };
        },
      };
    },
  };
  return {
    bus: gated,
    arm() {
      armed = true;
      atCommit = new Promise<void>((r) => {
        reached = r;
      });
      return atCommit;
    },
    release: () => release(),
  };
}

let admin: Admin;
let deliver: Deliver;
let proxy: RegistryProxy;
let deliverRegistry: ReturnType<typeof countingFailedDecodes>;
let svbSchemaId: number;
const gate = gatedBus(bus, `${groupPrefix}-${SVB}-${topic.svb}-`);

const api = async (path: string) => {
  const response = await fetch(`${deliver.url}${path}`, { headers: { authorization: `Bearer ${tokens.svb}` } });
  return { status: response.status, body: await response.text() };
};
const svbRow = (n: string) => api(`/v1/${SVB}/rows/${n}`);
const inState = (n: string) => (deliver.projections.get(SVB)!.state() as SvbState).persons.has(n);
const send = async (messages: Array<{ key: string; value: Buffer }>) => {
  const producer = await bus.producer();
  await producer.send(messages.map((m) => ({ topic: topic.svb, ...m })));
  await producer.disconnect();
};
interface DeadLetter {
  service: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: number;
  originalKey: Buffer;
  originalValue: Buffer;
  reasons: Array<{ field: string; rule: string; message: string }>;
}
const decodedDeadLetters = async (deadLetters: string) =>
  Promise.all((await readAll(bus, admin, deadLetters)).map((m) => registry.decode<DeadLetter>(m.value!)));

beforeAll(async () => {
  admin = await bus.admin();
  await createTopics(admin, { name: topic.stagemarkt }, { name: topic.svb }, { name: topic.ggd });
  svbSchemaId = await registry.register(valueSubject(topic.svb), svbSchema as never, 'BACKWARD_TRANSITIVE');
  proxy = await createRegistryProxy(registryUrl);
  await proxy.open();
  deliverRegistry = countingFailedDecodes(createSchemaRegistryClient({ url: proxy.url }));
  const config = loadConfig(deliverSettings, {
    ...deliverTestEnv({ id, brokers, registryUrl: proxy.url }),
    DELIVER_DEAD_LETTER_TOPIC: deadLetterTopic,
    DELIVER_API_TOKENS: `sbb-stagemarkt:${tokens.stagemarkt},svb-kostendelersnorm:${tokens.svb},ggd-jeugdgezondheid:${tokens.ggd}`,
  });
  deliver = await startDeliver({ config, bus: gate.bus, registry: deliverRegistry, logger });
});

afterAll(async () => {
  gate.release();
  await deliver?.stop();
  await proxy?.close();
  await admin?.disconnect();
});

describe('deliver and records it cannot fold', () => {
  it('dead-letters what can never be read, with its reasons, and reads on to the end', async () => {
    const valid = svbRecord(bsn.valid, `${id}-valid`);
    const wellFormed = await registry.encode(svbSchemaId, valid);
    const unknownSchema = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), wellFormed.subarray(5)]);
    const truncated = wellFormed.subarray(0, 9);
    await send([
      { key: 'garbage', value: Buffer.from('this is not Avro at all') },
      { key: 'unknown-schema', value: unknownSchema },
      { key: 'truncated', value: truncated },
      { key: valid.persoon.nummer, value: wellFormed },
    ]);

    await waitFor('the valid record in the API', async () => (await svbRow(bsn.valid)).status === 200);
    await groupCaughtUp(admin, `${groupPrefix}-${SVB}`, topic.svb);
    await waitFor('lag 0', () => deliver.projections.get(SVB)!.metrics.lag.get(0) === 0);

    const deadLetters = await decodedDeadLetters(deadLetterTopic);
    expect(deadLetters.map((d) => d.originalKey.toString()).sort()).toEqual(['garbage', 'truncated', 'unknown-schema']);
    for (const d of deadLetters) {
      expect(d).toMatchObject({ service: 'deliver', sourceTopic: topic.svb, sourcePartition: 0 });
      expect(d.reasons.length).toBeGreaterThan(0);
      for (const reason of d.reasons) expect(reason.message).toMatch(/\w/);
    }
    const byKey = (key: string) => deadLetters.find((d) => d.originalKey.toString() === key)!;
    expect(byKey('garbage').originalValue.toString()).toBe('this is not Avro at all');
    expect(byKey('garbage').sourceOffset).toBe(0);
    expect(byKey('unknown-schema').reasons[0]?.rule).toBe('unknown-schema');
    expect(byKey('truncated').reasons[0]?.rule).toBe('undecodable');
    expect(deliver.projections.get(SVB)!.metrics.deadLettered).toBe(3);
  });

  it('shows nothing of a batch whose transaction fails, neither while it runs nor after', async () => {
    const record = svbRecord(bsn.gated, `${id}-gated`);
    const atCommit = gate.arm();
    await send([{ key: record.persoon.nummer, value: await registry.encode(svbSchemaId, record) }]);
    await atCommit;
    // applied, its feed records sent, the commit under way: nothing of it may be visible yet
    expect(inState(bsn.gated)).toBe(false);
    expect((await svbRow(bsn.gated)).status).toBe(404);
    gate.release(); // the commit fails; the batch is read again and commits
    await waitFor('the batch read again and committed', async () => (await svbRow(bsn.gated)).status === 200);
    expect(inState(bsn.valid)).toBe(true);
  });

  it('waits out a registry outage, also for a record of a newer compatible schema, and dead-letters nothing', async () => {
    // the agreement grew a field: a new schema version, compatible, that deliver has not seen
    const newer = { ...svbSchema, fields: [...svbSchema.fields, { name: 'toelichting', type: ['null', 'string'], default: null }] };
    const newerId = await registry.register(valueSubject(topic.svb), newer as never, 'BACKWARD_TRANSITIVE');
    expect(newerId).not.toBe(svbSchemaId);
    const deadLettersBefore = deliver.projections.get(SVB)!.metrics.deadLettered;
    const failedBefore = deliverRegistry.failedDecodes;

    await proxy.close();
    const record = { ...svbRecord(bsn.newer, `${id}-newer`), toelichting: 'added later' };
    await send([{ key: record.persoon.nummer, value: await registry.encode(newerId, record) }]);
    await waitFor('decodes refused by the registry outage', () => deliverRegistry.failedDecodes >= failedBefore + 2);
    expect(inState(bsn.newer)).toBe(false);

    await proxy.open();
    await waitFor('the newer record in the API', async () => (await svbRow(bsn.newer)).status === 200);
    await groupCaughtUp(admin, `${groupPrefix}-${SVB}`, topic.svb);
    expect(deliver.projections.get(SVB)!.metrics.deadLettered).toBe(deadLettersBefore);
    expect((await readAll(bus, admin, deadLetterTopic)).length).toBe(3);
  });
});

describe('a projection that throws on a valid record', () => {
  it('stops that partition loudly and dead-letters nothing', async () => {
    const own = uniqueName('deliver-bug');
    const input = `${own}.svb`;
    const deadLetters = `${own}.dlq`;
    await createTopics(admin, { name: input }, { name: deadLetters });
    const schemaId = await registry.register(valueSubject(input), svbSchema as never, 'BACKWARD_TRANSITIVE');
    const write = async (...records: SvbRecord[]) => {
      const producer = await bus.producer();
      await producer.send(
        await Promise.all(records.map(async (r) => ({ topic: input, key: r.persoon.nummer, value: await registry.encode(schemaId, r) }))),
      );
      await producer.disconnect();
    };

    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    const buggy = {
      ...svb,
      apply: (state: unknown, record: unknown) => {
        if ((record as SvbRecord).persoon.nummer === bsn.bug) throw new TypeError('a bug in the projection');
        return svb.apply(state as SvbState, record as SvbRecord);
      },
    };
    const running = await startProjection({
      bus,
      admin,
      registry,
      projection: buggy as never,
      inputTopic: input,
      feed: { ...topics.feedSvb, name: `${own}.feed` },
      groupId: `${own}.group`,
      deadLetterTopic: deadLetters,
      replicationFactor: 1,
      logger: createLogger({ service: 'deliver-bug-test', level: 'info', destination }),
    });
    try {
      await write(svbRecord(bsn.first, `${own}-1`));
      await waitFor('the first record committed', () => (running.state() as SvbState).persons.has(bsn.first));
      expect(running.ready()).toBe(true);
      await write(svbRecord(bsn.bug, `${own}-2`), svbRecord(bsn.after, `${own}-3`));
      const outcome = await waitFor('the record the projection throws on handled', () =>
        running.metrics.deadLettered > 0 ? 'dead-lettered' : running.metrics.halted?.get(0),
      );
      expect(outcome).toBe('1'); // halted at its offset
      const persons = (running.state() as SvbState).persons;
      expect(persons.has(bsn.first)).toBe(true);
      expect(persons.has(bsn.bug)).toBe(false);
      expect(persons.has(bsn.after)).toBe(false);
      expect(running.metrics.deadLettered).toBe(0);
      expect(lines.some((l) => l.level === 'error' && l.partition === 0 && l.offset === '1')).toBe(true);
      expect(running.ready()).toBe(false); // deliver's /ready is red while a partition is halted
    } finally {
      await running.stop();
    }
    expect(await readAll(bus, admin, deadLetters)).toEqual([]);
    const committed = await admin.groupOffsets(`${own}.group`, input);
    expect(committed.find((c) => c.partition === 0)?.offset).toBe('1');
  });
});
