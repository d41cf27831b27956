import { loadAgreements, recipientSchema } from '@register-feeds/pseudonymise';
import {
  createLogger,
  createMemoryBus,
  createMemoryRegistry,
  createServiceRegistry,
  type MemoryBus,
  type MemoryRegistry,
  serviceRegistry,
  topics,
  valueSubject,
} from '@register-feeds/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { testBsn } from '../../../test/support/raw-events.ts';
import { registerDeliverMetrics } from './api/metrics.ts';
import { decodeFeedValue } from './feed-value.ts';
import { feedTimestamp, type RunningProjection, startProjection } from './projection-runner.ts';
import { type Projection, type StagemarktRecord, type SvbRecord, type SvbState, stagemarkt, svb } from './projections/index.ts';
import { type RawOptions, recordFor } from './projections/records.test-support.ts';

// Deliver's wiring over the one edge, on the twins (memory bus, memory registry): recipient records in,
// the projection's rows out in its compacted feed and in the state the API reads; a record that can never
// be read dead-lettered with its reasons; a projection that throws on a valid record halts that partition
// (nothing of its batch committed, ready() false) while the others go on; and a partition that another
// instance folded in between is restored from the feed before it is folded again. What each row holds is
// the folds' own (projections/*.unit tests); here: that the edge carries it where it goes.

const NOW = Date.UTC(2026, 2, 20, 10);
const STAGEMARKT = 'sbb-stagemarkt';
const SVB = 'svb-kostendelersnorm';
const INPUT = 'recipient.in';
const DEAD_LETTERS = 'deliver.dlq';
const LEASE = 'deliver.lease';
const logger = createLogger({ service: 'deliver-test', level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent' });
const agreements = loadAgreements(new URL('../../../agreements', import.meta.url).pathname);

const running: RunningProjection[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((p) => p.stop()));
});

/** given: the recipient topic (3 partitions) and deliver's dead-letter topic, with the agreement's schema registered by its writer (pseudonymise) */
async function recipientTopic(bus: MemoryBus, registry: MemoryRegistry, recipient: string) {
  const admin = await bus.admin();
  await admin.ensureTopics([
    { name: INPUT, partitions: 3, replicationFactor: 1 },
    { name: DEAD_LETTERS, partitions: 1, replicationFactor: 1 }, // deliver's own (startDeliver makes it)
  ]);
  await admin.disconnect();
  const writer = registry.client();
  const agreement = agreements.find((a) => a.recipient === recipient)!;
  const schemaId = await writer.register(valueSubject(INPUT), recipientSchema(agreement) as never, 'BACKWARD_TRANSITIVE');
  return async (messages: Array<{ key: string; record?: unknown; value?: Buffer | string | null; partition?: number }>) => {
    const producer = await bus.producer();
    await producer.send(
      await Promise.all(
        messages.map(async (m) => ({
          topic: INPUT,
          key: m.key,
          partition: m.partition,
          value: m.record === undefined ? (m.value ?? null) : await writer.encode(schemaId, m.record),
        })),
      ),
    );
    await producer.disconnect();
  };
}

async function start(
  bus: MemoryBus,
  registry: MemoryRegistry,
  projection: Projection<unknown>,
  options: { writers: 'shared' | 'single'; feed: string; groupId?: string },
) {
  const admin = await bus.admin();
  const p = await startProjection({
    bus,
    admin,
    registry,
    projection,
    inputTopic: INPUT,
    feed: { ...(options.writers === 'single' ? topics.feedSvb : topics.feedStagemarkt), name: options.feed },
    groupId: options.groupId ?? 'deliver',
    deadLetterTopic: DEAD_LETTERS,
    replicationFactor: 1,
    logger,
    writers: options.writers,
    leaseTopic: LEASE,
    clock: () => NOW,
  });
  await admin.disconnect();
  running.push(p);
  return p;
}

/** the feed as a reader of the compacted topic sees it: the last value per key, tombstones dropped */
function feedRows(bus: MemoryBus, feed: string): Record<string, unknown> {
  const latest = new Map<string, unknown>();
  for (const m of bus.read(feed)) {
    if (m.value === null) latest.delete(String(m.key));
    // feed values are envelopes (feed-value.ts): compare the rows as the fold keeps them
    else latest.set(String(m.key), decodeFeedValue(feed === 'feed.svb' ? svb : stagemarkt, m.value.toString()));
  }
  return Object.fromEntries(latest);
}

/** the rows the pure fold makes of the records, applied in this order */
function folded(projection: Projection<unknown>, records: unknown[]): Record<string, unknown> {
  const state = projection.emptyState();
  for (const r of records) projection.apply(state, r);
  return Object.fromEntries([...projection.rows(state)].map(([key, row]) => [key, JSON.parse(JSON.stringify(row))]));
}

/** a recipient record as pseudonymise makes it, and its key there (the pseudonym, else the number) */
const keyOf = (record: unknown) => {
  const persoon = (record as { persoon: { pseudonym?: string; nummer?: string } }).persoon;
  return (persoon.pseudonym ?? persoon.nummer) as string;
};
const stagemarktRecord = (person: number, eventType: RawOptions['eventType'], on: string, bpv?: Record<string, unknown>) =>
  recordFor<StagemarktRecord>(STAGEMARKT, {
    eventId: `sm-${person}-${eventType}-${on}`,
    eventType,
    on,
    sector: 'MBO',
    bsn: testBsn(500 + person),
    inschrijving: { inschrijvingsvolgnummer: `S${person}` },
    bpv,
  });
const svbRecord = (person: number) =>
  recordFor<SvbRecord>(SVB, {
    eventId: `svb-${person}`,
    eventType: 'InschrijvingGeregistreerd',
    on: '2026-03-01',
    sector: 'MBO',
    bsn: testBsn(600 + person),
  });

interface DeadLetter {
  service: string;
  sourceTopic: string;
  sourcePartition: number;
  reasons: Array<{ rule: string; message: string }>;
}

describe('a shared projection on the edge', () => {
  it('folds recipient records into its feed and its read state, and dead-letters what cannot be read', async () => {
    const bus = createMemoryBus();
    const registry = createMemoryRegistry();
    const send = await recipientTopic(bus, registry, STAGEMARKT);
    const records = [
      stagemarktRecord(1, 'InschrijvingGeregistreerd', '2026-02-02'),
      stagemarktRecord(1, 'BpvGeregistreerd', '2026-02-10'),
      stagemarktRecord(1, 'BpvGewijzigd', '2026-03-02', { omvangUren: 320 }),
    ];
    const projection = await start(bus, registry, stagemarkt as Projection<unknown>, { writers: 'shared', feed: 'feed.sm' });
    await send([
      ...records.map((record) => ({ key: keyOf(record), record })),
      { key: 'garbage', value: 'not avro at all', partition: 1 },
      { key: 'tombstone', value: null, partition: 2 },
    ]);
    await bus.settled();

    const expected = folded(stagemarkt as Projection<unknown>, records);
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    expect(feedRows(bus, 'feed.sm')).toEqual(expected);
    expect(Object.fromEntries(stagemarkt.rows(projection.state() as never))).toEqual(expected);
    for (const m of bus.read('feed.sm')) expect(m.timestamp).toBe(feedTimestamp(NOW));

    const deadLetters = await Promise.all(bus.read(DEAD_LETTERS).map((m) => registry.decode<DeadLetter>(m.value as Buffer)));
    expect(
      deadLetters.map((d) => ({ service: d.service, topic: d.sourceTopic, partition: d.sourcePartition, rule: d.reasons[0]?.rule })),
    ).toEqual([
      { service: 'deliver', topic: INPUT, partition: 1, rule: 'unknown-magic-byte' },
      { service: 'deliver', topic: INPUT, partition: 2, rule: 'not-wire-format' },
    ]);
    expect(deadLetters[0]?.reasons[0]?.message).toMatch(/^not a readable recipient record: /);
    expect(projection.metrics).toMatchObject({ records: records.length + 2, deadLettered: 2, feedChanges: bus.read('feed.sm').length });
    expect(projection.ready()).toBe(true);
  });
});

describe('a single-writer projection that throws on a valid record', () => {
  it('halts that partition with nothing of its batch committed, reads on elsewhere, dead-letters nothing, and is not ready', async () => {
    const bus = createMemoryBus();
    const registry = createMemoryRegistry();
    const send = await recipientTopic(bus, registry, SVB);
    const [first, bug, after] = [svbRecord(1), svbRecord(2), svbRecord(3)];
    const buggy: Projection<unknown> = {
      ...(svb as Projection<unknown>),
      apply: (state, record) => {
        if (keyOf(record) === keyOf(bug)) throw new TypeError('a bug in the projection');
        return svb.apply(state as SvbState, record as SvbRecord);
      },
    };
    const projection = await start(bus, registry, buggy, { writers: 'single', feed: 'feed.svb' });
    expect(projection.writing()).toBe(true); // the only instance holds the writer lease
    await send([
      { key: keyOf(first), record: first, partition: 0 },
      { key: keyOf(bug), record: bug, partition: 1 },
      { key: keyOf(after), record: after, partition: 2 },
    ]);
    const persons = () => (projection.state() as SvbState).persons;
    await bus.waitUntil(() => projection.metrics.halted.has(1) && persons().has(keyOf(after)), { timeoutMs: 10_000 });

    expect(projection.metrics.halted).toEqual(new Map([[1, '0']]));
    expect(persons().has(keyOf(first))).toBe(true);
    expect(persons().has(keyOf(bug))).toBe(false);
    expect(Object.keys(feedRows(bus, 'feed.svb')).sort()).toEqual([keyOf(first), keyOf(after)].sort());
    expect(bus.committedOffset('deliver', INPUT, 1)).toBeUndefined(); // the fixed service reads on from the record
    expect(bus.committedOffset('deliver', INPUT, 0)).toBe('1');
    expect(bus.committedOffset('deliver', INPUT, 2)).toBe('1');
    expect(bus.read(DEAD_LETTERS)).toEqual([]);
    expect(projection.metrics.deadLettered).toBe(0);
    expect(projection.ready()).toBe(false); // deliver's /ready is red while a partition is halted
    // /metrics (DELIVER_HEALTH_PORT): the edge's halted partition in the process's registry, deliver's gauges beside it
    expect(await serviceRegistry().metrics()).toContain(
      `register_feeds_partition_halted{group="deliver",topic="${INPUT}",partition="1",offset="0"} 1`,
    );
    const gauges = createServiceRegistry();
    const off = registerDeliverMetrics({ projections: new Map([[SVB, projection]]) }, gauges);
    expect(await gauges.metrics()).toContain(`register_feeds_projection_ready{recipient="${SVB}"} 0`);
    off();
  });
});

describe('a shared projection whose partition another instance folded in between', () => {
  it('restores it from the feed before folding it again, so its rows are what one instance would make', async () => {
    const bus = createMemoryBus();
    const registry = createMemoryRegistry();
    const send = await recipientTopic(bus, registry, STAGEMARKT);
    const other = stagemarktRecord(2, 'InschrijvingGeregistreerd', '2026-02-02');
    const registered = [
      stagemarktRecord(1, 'InschrijvingGeregistreerd', '2026-02-02'),
      stagemarktRecord(1, 'BpvGeregistreerd', '2026-02-10'),
    ];
    const changed = stagemarktRecord(1, 'BpvGewijzigd', '2026-03-02', { omvangUren: 320 });
    const ended = stagemarktRecord(1, 'BpvBeeindigd', '2026-04-01', { werkelijkeEinddatum: '2026-03-31' });
    // the twin's round-robin gives partitions 0 and 2 to the first member, 1 to the second
    const on = (partition: number, ...records: unknown[]) => send(records.map((record) => ({ key: keyOf(record), record, partition })));
    const a = await start(bus, registry, stagemarkt as Projection<unknown>, { writers: 'shared', feed: 'feed.sm' });
    const b = await start(bus, registry, stagemarkt as Projection<unknown>, { writers: 'shared', feed: 'feed.sm' });

    await on(0, other);
    await bus.settled();
    expect(a.metrics.records).toBe(1); // a has a working state now, without person 1
    await on(1, ...registered, changed);
    await bus.settled();
    expect(b.metrics.records).toBe(3); // b folded person 1, on a partition a has never held

    await b.stop(); // partition 1 goes to a, which has no producer of its own for it (nothing fences it)
    await on(1, ended);
    await bus.settled();
    expect(a.metrics.records).toBe(2);

    const expected = folded(stagemarkt as Projection<unknown>, [other, ...registered, changed, ended]);
    expect(feedRows(bus, 'feed.sm')).toEqual(expected);
    expect(Object.fromEntries(stagemarkt.rows(a.state() as never))).toEqual(expected);
  });
});
