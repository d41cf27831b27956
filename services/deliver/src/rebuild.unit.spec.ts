import { loadAgreements, recipientSchema } from '@register-feeds/pseudonymise';
import {
  createLogger,
  createMemoryBus,
  createMemoryRegistry,
  createServiceRegistry,
  type MemoryBus,
  type MemoryRegistry,
  topics,
  valueSubject,
} from '@register-feeds/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { testBsn } from '../../../test/support/raw-events.ts';
import { registerDeliverMetrics } from './api/metrics.ts';
import { type RunningProjection, startProjection } from './projection-runner.ts';
import { checksumOf, type Projection, type StagemarktRecord, type SvbRecord, stagemarkt, svb } from './projections/index.ts';
import { recordFor } from './projections/records.test-support.ts';
import { feedDiff, furthest, RebuildRefusedError } from './rebuild.ts';

// The rebuild beside the live projection (rebuild.ts) on the twins: the fold without transactions, the
// difference it writes, and the switch: readers see the old rows until it and the rebuilt ones after it,
// the live fold reads on from where the rebuild stopped, and every record is folded once, also those that
// arrive while the rebuild runs. A counting projection makes a record folded twice (or not at all) show in
// its rows, which an order-free fold such as Stagemarkt's would hide.

const NOW = Date.UTC(2026, 2, 20, 10);
const STAGEMARKT = 'sbb-stagemarkt';
const SVB = 'svb-kostendelersnorm';
const INPUT = 'recipient.in';
const FEED = 'feed.rebuild';
const DEAD_LETTERS = 'deliver.dlq';
const logger = createLogger({ service: 'deliver-test', level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent' });
const agreements = loadAgreements(new URL('../../../agreements', import.meta.url).pathname);

const running: RunningProjection[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((p) => p.stop()));
});

const keyOf = (record: unknown) => {
  const persoon = (record as { persoon: { pseudonym?: string; nummer?: string } }).persoon;
  return (persoon.pseudonym ?? persoon.nummer) as string;
};
const stagemarktRecord = (person: number, step: number) =>
  recordFor<StagemarktRecord>(STAGEMARKT, {
    eventId: `sm-${person}-${step}`,
    eventType: step === 0 ? 'InschrijvingGeregistreerd' : 'BpvGeregistreerd',
    on: `2026-02-${String(2 + step).padStart(2, '0')}`,
    sector: 'MBO',
    bsn: testBsn(700 + person),
    inschrijving: { inschrijvingsvolgnummer: `R${person}` },
  });

type Counts = Map<string, { n: number }>;
/** rows: per person, how many of their records were folded */
const counting: Projection<unknown> = {
  recipient: STAGEMARKT,
  emptyState: () => new Map(),
  apply(state, record) {
    const counts = state as Counts;
    const key = keyOf(record);
    const row = { n: (counts.get(key)?.n ?? 0) + 1 };
    counts.set(key, row);
    return [{ key, row }];
  },
  load: (state, key, row) => void (row === null ? (state as Counts).delete(key) : (state as Counts).set(key, row as { n: number })),
  rows: (state) => [...(state as Counts)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  checksum: (state) => checksumOf(counting.rows(state)),
  size: (state) => (state as Counts).size,
};

async function recipientTopic(bus: MemoryBus, registry: MemoryRegistry, recipient: string) {
  const admin = await bus.admin();
  await admin.ensureTopics([
    { name: INPUT, partitions: 3, replicationFactor: 1 },
    { name: DEAD_LETTERS, partitions: 1, replicationFactor: 1 },
  ]);
  await admin.disconnect();
  const writer = registry.client();
  const agreement = agreements.find((a) => a.recipient === recipient)!;
  const schemaId = await writer.register(valueSubject(INPUT), recipientSchema(agreement) as never, 'BACKWARD_TRANSITIVE');
  return async (records: unknown[]) => {
    const producer = await bus.producer();
    await producer.send(
      await Promise.all(
        records.map(async (record) => ({ topic: INPUT, key: keyOf(record), value: await writer.encode(schemaId, record) })),
      ),
    );
    await producer.disconnect();
  };
}

async function start(bus: MemoryBus, registry: MemoryRegistry, projection: Projection<unknown>, writers: 'shared' | 'single' = 'shared') {
  const admin = await bus.admin();
  const p = await startProjection({
    bus,
    admin,
    registry,
    projection,
    inputTopic: INPUT,
    feed: { ...(writers === 'single' ? topics.feedSvb : topics.feedStagemarkt), name: FEED },
    groupId: 'deliver',
    deadLetterTopic: DEAD_LETTERS,
    replicationFactor: 1,
    logger,
    writers,
    leaseTopic: 'deliver.lease',
    clock: () => NOW,
  });
  await admin.disconnect();
  running.push(p);
  return p;
}

/** the feed as a reader of the compacted topic sees it: the last value per key, tombstones dropped */
function feedRows(bus: MemoryBus): Record<string, unknown> {
  const latest = new Map<string, unknown>();
  for (const m of bus.read(FEED)) {
    if (m.value === null) latest.delete(String(m.key));
    else latest.set(String(m.key), JSON.parse(m.value.toString()));
  }
  return Object.fromEntries(latest);
}

describe('feedDiff', () => {
  const rows = (entries: Record<string, { n: number }>) => {
    const state = counting.emptyState();
    for (const [key, row] of Object.entries(entries)) counting.load(state, key, row);
    return state;
  };
  it('writes the rows that are new or differ, and a tombstone for each row the rebuilt state lacks', () => {
    const current = rows({ a: { n: 1 }, b: { n: 2 }, gone: { n: 9 } });
    const rebuilt = rows({ a: { n: 1 }, b: { n: 3 }, c: { n: 1 } });
    expect(feedDiff(counting, current, rebuilt)).toEqual([
      ['b', { n: 3 }],
      ['c', { n: 1 }],
      ['gone', null],
    ]);
  });
  it('writes nothing when the rebuilt rows equal the feed, and every row onto an empty feed', () => {
    const state = rows({ a: { n: 1 }, b: { n: 2 } });
    expect(feedDiff(counting, state, rows({ b: { n: 2 }, a: { n: 1 } }))).toEqual([]);
    expect(feedDiff(counting, counting.emptyState(), state)).toEqual([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
    ]);
  });
});

describe('furthest', () => {
  it('keeps per partition the larger offset', () => {
    expect(
      furthest(
        new Map([
          [0, 5n],
          [1, 7n],
        ]),
        new Map([
          [1, 9n],
          [2, 1n],
        ]),
      ),
    ).toEqual(
      new Map([
        [0, 5n],
        [1, 9n],
        [2, 1n],
      ]),
    );
  });
});

describe('a rebuild beside the live projection', () => {
  it('replaces a feed the live fold got wrong; readers see the old rows until the switch; every record is folded once', async () => {
    const bus = createMemoryBus();
    const registry = createMemoryRegistry();
    const send = await recipientTopic(bus, registry, STAGEMARKT);
    const first = Array.from({ length: 12 }, (_, i) => stagemarktRecord(i % 4, i));
    // a feed an older, wrong fold left: a row too many and a count too high (the live fold counts on from it)
    const admin = await bus.admin();
    await admin.ensureTopics([{ name: FEED, partitions: topics.feedStagemarkt.partitions, replicationFactor: 1 }]);
    await admin.disconnect();
    const producer = await bus.producer();
    await producer.send([
      { topic: FEED, key: 'stray', value: JSON.stringify({ n: 1 }) },
      { topic: FEED, key: keyOf(first[0]), value: JSON.stringify({ n: 99 }) },
    ]);
    await producer.disconnect();
    // the switch lists the rows (feedDiff) while the live fold is stopped: the instance must stay ready then
    let probe: (() => void) | undefined;
    const probed: Projection<unknown> = {
      ...counting,
      rows: (state) => {
        probe?.();
        return counting.rows(state);
      },
    };
    const live = await start(bus, registry, probed);
    await send(first);
    await bus.settled();
    expect((live.state() as Counts).get(keyOf(first[0]))).toEqual({ n: 102 });

    // readers, all along: the old projection (with both wrong rows; the live fold goes on meanwhile) or the
    // rebuilt one (with neither), never a mix; the old first, then the rebuilt one for good
    const seen: Array<'old' | 'rebuilt' | 'mixed'> = [];
    const watch = setInterval(() => {
      const state = live.state() as Counts;
      const stray = state.has('stray');
      const wrongCount = (state.get(keyOf(first[0]))?.n ?? 0) >= 99;
      const now = stray && wrongCount ? 'old' : !stray && !wrongCount ? 'rebuilt' : 'mixed';
      if (seen.at(-1) !== now) seen.push(now);
    }, 0);
    const during = Array.from({ length: 5 }, (_, i) => stagemarktRecord(i, 20 + i));
    const readiness = new Set<boolean>();
    // /metrics's gauge, read in the middle of the rebuild: a gauge's get() runs its collect at once
    const gauges = createServiceRegistry();
    const off = registerDeliverMetrics({ projections: new Map([[STAGEMARKT, live]]) }, gauges);
    const rebuildRunning = async () => {
      const gauge = gauges.getSingleMetric('register_feeds_projection_rebuild_running');
      return (await gauge!.get()).values.find((v) => v.labels.recipient === STAGEMARKT)?.value;
    };
    const scraped: Array<Promise<number | undefined>> = [];
    probe = () => {
      readiness.add(live.ready());
      scraped.push(rebuildRunning());
    };
    const rebuilt = live.rebuild();
    await send(during); // records that arrive while it runs
    const report = await rebuilt;
    await bus.settled();
    clearInterval(watch);
    probe = undefined;
    expect(readiness).toEqual(new Set([true])); // ready also while the switch stops the fold
    expect(scraped.length).toBeGreaterThan(0);
    expect(await scraped[0]).toBe(1);
    expect(await rebuildRunning()).toBe(0);
    off();

    const expected: Record<string, { n: number }> = {};
    for (const record of [...first, ...during]) expected[keyOf(record)] = { n: (expected[keyOf(record)]?.n ?? 0) + 1 };
    expect(feedRows(bus)).toEqual(expected);
    expect(Object.fromEntries(counting.rows(live.state()))).toEqual(expected);
    expect(seen).toEqual(['old', 'rebuilt']);
    expect(report).toMatchObject({ recipient: STAGEMARKT, poison: 0 });
    expect(report.records).toBeGreaterThanOrEqual(first.length);
    expect(report.feedChanges).toBeGreaterThan(0);
    const total = first.length + during.length;
    const committed = [0, 1, 2].map((p) => Number(bus.committedOffset('deliver', INPUT, p) ?? 0));
    expect(committed.reduce((a, b) => a + b, 0)).toBe(total);

    // and the live fold reads on from there
    const after = stagemarktRecord(0, 25);
    await send([after]);
    await bus.settled();
    expect((live.state() as Counts).get(keyOf(after))).toEqual({ n: (expected[keyOf(after)]?.n ?? 0) + 1 });
    expect(live.rebuildStatus()).toMatchObject({ state: 'done', report: { recipient: STAGEMARKT } });
  });

  it('rebuilds Stagemarkt to the rows the live fold made, writing nothing when they are equal', async () => {
    const bus = createMemoryBus();
    const registry = createMemoryRegistry();
    const send = await recipientTopic(bus, registry, STAGEMARKT);
    const live = await start(bus, registry, stagemarkt as Projection<unknown>);
    await send(Array.from({ length: 9 }, (_, i) => stagemarktRecord(i % 3, i)));
    await bus.settled();
    const before = stagemarkt.checksum(live.state() as never);
    const written = bus.read(FEED).length;

    const report = await live.rebuild();
    await bus.settled();
    expect(report.feedChanges).toBe(0);
    expect(bus.read(FEED).length).toBe(written);
    expect(stagemarkt.checksum(live.state() as never)).toBe(before);
  });

  it('ends without a switch when the projection stops, leaving the feed and the group as they were', async () => {
    const bus = createMemoryBus();
    const registry = createMemoryRegistry();
    const send = await recipientTopic(bus, registry, STAGEMARKT);
    const live = await start(bus, registry, counting);
    await send(Array.from({ length: 6 }, (_, i) => stagemarktRecord(i % 3, i)));
    await bus.settled();
    const feed = bus.read(FEED).length;
    const committed = [0, 1, 2].map((p) => bus.committedOffset('deliver', INPUT, p));

    const run = live.rebuild();
    await live.stop();
    await expect(run).rejects.toThrow(RebuildRefusedError);
    expect(bus.read(FEED).length).toBe(feed);
    expect([0, 1, 2].map((p) => bus.committedOffset('deliver', INPUT, p))).toEqual(committed);
    expect(live.rebuildStatus()).toMatchObject({ state: 'failed' });
  });

  it('is refused while one runs, and on an instance that does not hold the writer lease', async () => {
    const bus = createMemoryBus();
    const registry = createMemoryRegistry();
    const send = await recipientTopic(bus, registry, SVB);
    const writer = await start(bus, registry, svb as Projection<unknown>, 'single');
    const follower = await start(bus, registry, svb as Projection<unknown>, 'single');
    await send([
      recordFor<SvbRecord>(SVB, { eventId: 'svb-1', eventType: 'InschrijvingGeregistreerd', on: '2026-03-01', bsn: testBsn(801) }),
    ]);
    await bus.settled();
    expect(writer.writing()).toBe(true);
    expect(follower.writing()).toBe(false);

    expect(() => follower.rebuild()).toThrow(RebuildRefusedError);
    const run = writer.rebuild();
    expect(() => writer.rebuild()).toThrow(/under way/);
    const report = await run;
    expect(report.rows).toBe(1);
    expect(writer.writing()).toBe(true); // folding again after the switch
  });
});
