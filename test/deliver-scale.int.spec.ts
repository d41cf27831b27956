import { randomBytes } from 'node:crypto';
import {
  type Deliver,
  decodeFeedValue,
  settings as deliverSettings,
  type Projection,
  projectionKinds,
  restoreProjection,
  startDeliver,
} from '@register-feeds/deliver';
import { type RawOptions, recordFor } from '@register-feeds/deliver/test-support';
import { loadAgreements, recipientSchema } from '@register-feeds/pseudonymise';
import { type Admin, createLogger, loadConfig, type OutgoingMessage, valueSubject } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBsn } from './support/raw-events.ts';
import { createTopics, groupCaughtUp, readAll, testStack, uniqueName, waitFor } from './support/stack.ts';

// Deliver scaled out on the real stack. Two instances with the same groups share the recipient topics'
// partitions (Stagemarkt: partitions split; SVB and GGD: one writer at a time, by the writer lease); a
// third joins mid-load and the first leaves (rebalances of the input groups and of the leases). When the
// load is in, both remaining instances' APIs answer with the same rows for every recipient, equal to what
// a single instance builds from the same topics, and each feed holds exactly those rows.

const { bus, registry, brokers, registryUrl } = testStack();
const id = uniqueName('deliver-scale');
const RECIPIENTS = { stagemarkt: 'sbb-stagemarkt', svb: 'svb-kostendelersnorm', ggd: 'ggd-jeugdgezondheid' } as const;
const recipients = Object.values(RECIPIENTS);
const topic = { stagemarkt: `${id}.stagemarkt`, svb: `${id}.svb`, ggd: `${id}.ggd` };
const inputOf: Record<string, string> = {
  [RECIPIENTS.stagemarkt]: topic.stagemarkt,
  [RECIPIENTS.svb]: topic.svb,
  [RECIPIENTS.ggd]: topic.ggd,
};
const tokens: Record<string, string> = Object.fromEntries(recipients.map((r) => [r, randomBytes(16).toString('hex')]));
const logger = createLogger({ service: 'deliver-scale-test', level: process.env.TEST_LOG_LEVEL ?? 'error' });
const agreements = loadAgreements(new URL('../agreements', import.meta.url).pathname);
const PERSONS = 240;

/** one deployment: instances with the same groups, feeds and lease share the work */
const deployment = (name: string) =>
  loadConfig(deliverSettings, {
    KAFKA_BROKERS: brokers.join(','),
    SCHEMA_REGISTRY_URL: registryUrl,
    STAGEMARKT_TOPIC: topic.stagemarkt,
    SVB_TOPIC: topic.svb,
    GGD_TOPIC: topic.ggd,
    FEED_TOPIC_PREFIX: `${id}.${name}.feed.`,
    DELIVER_GROUP_PREFIX: `${id}.${name}`,
    DELIVER_DEAD_LETTER_TOPIC: `${id}.dlq`,
    DELIVER_LEASE_TOPIC: `${id}.lease`,
    DELIVER_HTTP_PORT: '0',
    DELIVER_API_TOKENS: recipients.map((r) => `${r}:${tokens[r]}`).join(','),
  });
const scaled = deployment('scaled');
const single = deployment('single');
const start = (config: typeof scaled) => startDeliver({ config, bus, registry, logger, sweepEveryMs: 60_000 });

/**
 * The history of one person: an MBO student under 18 (so the GGD lists them) at one of a few schools, with
 * a BPV; some change their BPV, some are removed. Chunk 0 registers, chunks 1 and 2 change rows that chunk 0
 * made, maybe on an instance that did not make them.
 */
function historyOf(p: number): Array<{ chunk: number; options: RawOptions }> {
  const bsn = testBsn(7000 + p);
  const inschrijving = { brin: ['25LX', '26AB', '27CD'][p % 3], locatiecodeMbo: `LOC0${p % 4}`, inschrijvingsvolgnummer: `S${p}` };
  const base = { sector: 'MBO' as const, bsn, geboortedatum: '2010-05-14', inschrijving };
  const events: Array<{ chunk: number; options: RawOptions }> = [
    { chunk: 0, options: { ...base, eventId: `scale-${p}-a`, eventType: 'InschrijvingGeregistreerd', on: '2026-02-02' } },
    { chunk: 0, options: { ...base, eventId: `scale-${p}-b`, eventType: 'BpvGeregistreerd', on: '2026-02-10' } },
  ];
  if (p % 3 === 0) {
    events.push({
      chunk: 1,
      options: { ...base, eventId: `scale-${p}-c`, eventType: 'BpvGewijzigd', on: '2026-03-02', bpv: { omvangUren: 300 + p } },
    });
  }
  if (p % 5 === 0) {
    events.push({ chunk: 2, options: { ...base, eventId: `scale-${p}-d`, eventType: 'InschrijvingVerwijderd', on: '2026-04-01' } });
  } else if (p % 2 === 0) {
    events.push({
      chunk: 2,
      options: {
        ...base,
        eventId: `scale-${p}-e`,
        eventType: 'InschrijvingGewijzigd',
        on: '2026-04-02',
        inschrijving: { ...inschrijving, locatiecodeMbo: 'LOC09' },
      },
    });
  }
  if (p % 7 === 1) {
    // more than a year after the removals: SVB's horizon moves past them, and removals of persons on
    // other partitions age out of their rows (why SVB has one writer at a time)
    events.push({
      chunk: 2,
      options: {
        ...base,
        eventId: `scale-${p}-f`,
        eventType: 'InschrijvingGewijzigd',
        on: '2027-05-03',
        inschrijving: { ...inschrijving, leerweg: 'BOL' },
      },
    });
  }
  return events;
}

/** The recipient records of a chunk, keyed as pseudonymise keys them (pseudonym, else the number). */
async function recordsOf(chunk: number, schemaIds: Map<string, number>): Promise<OutgoingMessage[]> {
  const out: OutgoingMessage[] = [];
  for (let p = 1; p <= PERSONS; p++) {
    for (const event of historyOf(p).filter((e) => e.chunk === chunk)) {
      for (const recipient of recipients) {
        let record: { persoon: { pseudonym?: string; nummer?: string } };
        try {
          record = recordFor(recipient, event.options);
        } catch {
          continue; // this recipient gets no record of this event (not in its agreement)
        }
        const key = record.persoon.pseudonym ?? record.persoon.nummer!;
        out.push({ topic: inputOf[recipient]!, key, value: await registry.encode(schemaIds.get(recipient)!, record) });
      }
    }
  }
  return out;
}

const send = async (messages: OutgoingMessage[]) => {
  const producer = await bus.producer();
  await producer.send(messages);
  await producer.disconnect();
};

/** Every row the read API of an instance shows for a recipient, page by page. */
async function apiRows(deliver: Deliver, recipient: string): Promise<Array<{ key: string; row: unknown }>> {
  const rows: Array<{ key: string; row: unknown }> = [];
  let cursor: string | undefined;
  do {
    const query = `limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const response = await fetch(`${deliver.url}/v1/${recipient}/rows?${query}`, {
      headers: { authorization: `Bearer ${tokens[recipient]}` },
    });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { rows: Array<{ key: string; row: unknown }>; next?: string };
    rows.push(...page.rows);
    cursor = page.next;
  } while (cursor);
  return rows;
}

const projectionOf = (recipient: string): Projection<unknown> =>
  ({ [RECIPIENTS.stagemarkt]: projectionKinds.stagemarkt, [RECIPIENTS.svb]: projectionKinds.svb, [RECIPIENTS.ggd]: projectionKinds.ggd })[
    recipient
  ]!.make(recipient);

/** A feed's rows: the last value per key, tombstones dropped, as canonical JSON per key. */
async function feedRows(config: typeof scaled, recipient: string): Promise<Map<string, string>> {
  const latest = new Map<string, string | null>();
  for (const m of await readAll(bus, admin, `${config.feedPrefix}${recipient}.v1`)) {
    latest.set(m.key!.toString(), m.value === null ? null : m.value.toString());
  }
  const projection = projectionOf(recipient);
  const state = projection.emptyState();
  for (const [key, value] of latest) projection.load(state, key, value === null ? null : decodeFeedValue(projection, value));
  return new Map(projection.rows(state).map(([key, row]) => [key, JSON.stringify(row)]));
}

const caughtUp = (config: typeof scaled) =>
  Promise.all(recipients.map((r) => groupCaughtUp(admin, `${config.groupPrefix}-${r}`, inputOf[r]!, 180_000)));
const checksumOf = (deliver: Deliver, recipient: string) => {
  const running = deliver.projections.get(recipient)!;
  return running.projection.checksum(running.state());
};

let admin: Admin;
const instances: Deliver[] = [];
let a: Deliver;
let b: Deliver;
let c: Deliver;
let reference: Deliver;
const inFeed: Record<string, number> = {};

beforeAll(async () => {
  admin = await bus.admin();
  await createTopics(
    admin,
    { name: topic.stagemarkt, partitions: 6 },
    { name: topic.svb, partitions: 6 },
    { name: topic.ggd, partitions: 6 },
  );
  const schemaIds = new Map<string, number>();
  for (const recipient of recipients) {
    const agreement = agreements.find((x) => x.recipient === recipient)!;
    schemaIds.set(
      recipient,
      await registry.register(valueSubject(inputOf[recipient]!), recipientSchema(agreement) as never, 'BACKWARD_TRANSITIVE'),
    );
  }
  const chunks = await Promise.all([0, 1, 2].map((chunk) => recordsOf(chunk, schemaIds)));

  a = await start(scaled);
  instances.push(a);
  b = await start(scaled);
  instances.push(b);
  await send(chunks[0]!);
  // mid-load: a third instance joins while the first chunk is being folded, then the second chunk comes
  await waitFor('the first records folded', () =>
    recipients.some((r) => a.projections.get(r)!.metrics.records + b.projections.get(r)!.metrics.records > 0),
  );
  c = await start(scaled);
  instances.push(c);
  await send(chunks[1]!);
  // the first instance leaves while the second chunk is in, then the last chunk comes
  await a.stop();
  instances.splice(instances.indexOf(a), 1);
  await send(chunks[2]!);
  await caughtUp(scaled);

  // the same topics, folded by one instance on groups and feeds of its own
  reference = await start(single);
  instances.push(reference);
  await caughtUp(single);
  for (const recipient of recipients) {
    // the replicas of every instance have read every commit (the last batch's follower lag)
    const expected = (await feedRows(single, recipient)).size;
    inFeed[recipient] = expected;
    await waitFor(`${recipient} on every instance`, () =>
      [b, c, reference].every((d) => d.projections.get(recipient)!.projection.size(d.projections.get(recipient)!.state()) === expected),
    );
  }
}, 600_000);

afterAll(async () => {
  await Promise.allSettled(instances.map((d) => d.stop()));
  await admin?.disconnect();
});

describe('deliver scaled out to two instances, through a join and a leave mid-load', () => {
  it('folded a real load: every recipient has rows', () => {
    // Stagemarkt: an enrolment row and a BPV row per person; SVB: a row per person; GGD: a row per school
    expect(inFeed[RECIPIENTS.stagemarkt]).toBeGreaterThanOrEqual(PERSONS);
    // SVB: a row per person, but the removed ones left when the 2027 records aged their removals out
    // (unless that record brought their enrolment back)
    const removedForGood = Array.from({ length: PERSONS }, (_, i) => i + 1).filter((p) => p % 5 === 0 && p % 7 !== 1).length;
    expect(inFeed[RECIPIENTS.svb]).toBe(PERSONS - removedForGood);
    expect(inFeed[RECIPIENTS.ggd]).toBeGreaterThan(3);
  });

  it.each(recipients)('%s: both APIs answer with the same rows as a single instance', async (recipient) => {
    const fromReference = await apiRows(reference, recipient);
    expect(await apiRows(b, recipient)).toEqual(fromReference);
    expect(await apiRows(c, recipient)).toEqual(fromReference);
    expect(checksumOf(b, recipient)).toBe(checksumOf(reference, recipient));
    expect(checksumOf(c, recipient)).toBe(checksumOf(reference, recipient));
  });

  it.each(recipients)('%s: the shared feed holds exactly the rows a single instance writes to its own', async (recipient) => {
    const shared = await feedRows(scaled, recipient);
    expect(shared).toEqual(await feedRows(single, recipient));
    const projection = projectionOf(recipient);
    const { state } = await restoreProjection({
      bus,
      admin,
      projection,
      feedTopic: `${scaled.feedPrefix}${recipient}.v1`,
      groupPrefix: `${id}-check`,
    });
    expect(projection.checksum(state)).toBe(checksumOf(reference, recipient));
  });

  it('has one writer per single-writer projection, and every instance ready', async () => {
    for (const recipient of [RECIPIENTS.svb, RECIPIENTS.ggd]) {
      expect([b, c].filter((d) => d.projections.get(recipient)!.writing())).toHaveLength(1);
    }
    expect(b.projections.get(RECIPIENTS.stagemarkt)!.writing() && c.projections.get(RECIPIENTS.stagemarkt)!.writing()).toBe(true);
    for (const d of [b, c]) expect((await fetch(`${d.url}/ready`)).status).toBe(200);
  });
});
