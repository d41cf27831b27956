import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import {
  type Deliver,
  settings as deliverSettings,
  type Projection,
  projectionKinds,
  type RebuildStatus,
  restoreProjection,
  type StagemarktState,
  stagemarkt,
  startDeliver,
} from '@register-feeds/deliver';
import { type RawOptions, recordFor } from '@register-feeds/deliver/test-support';
import { loadAgreements, recipientSchema } from '@register-feeds/pseudonymise';
import { type Admin, createLogger, loadConfig, type OutgoingMessage, topicSpec, valueSubject } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBsn } from './support/raw-events.ts';
import { createTopics, groupCaughtUp, readAll, testStack, uniqueName, waitFor } from './support/stack.ts';

// A rebuild beside the live projection on the real stack (services/deliver/src/rebuild.ts), started the way
// an operator starts it: POST /admin/rebuild/<recipient> with the metrics token. Two instances run; the
// one that does not hold SVB's writer lease refuses SVB's rebuild, and neither rebuilds the shared
// Stagemarkt projection while they split its partitions. The SVB writer rebuilds SVB: same rows, nothing
// written. With one instance left, Stagemarkt is rebuilt while its API is read and new records keep
// arriving: its feed holds rows of a person no record names (left by an older, wrong fold), which the API
// shows until the switch and never after it; the rebuilt projection equals what a fresh deliver folds from
// the same topics, the group reads on from where the rebuild stopped, and every record is in once.

const { bus, registry, brokers, registryUrl } = testStack();
const id = uniqueName('deliver-rebuild');
const RECIPIENTS = { stagemarkt: 'sbb-stagemarkt', svb: 'svb-kostendelersnorm', ggd: 'ggd-jeugdgezondheid' } as const;
const recipients = Object.values(RECIPIENTS);
const topic = { stagemarkt: `${id}.stagemarkt`, svb: `${id}.svb`, ggd: `${id}.ggd` };
const inputOf: Record<string, string> = {
  [RECIPIENTS.stagemarkt]: topic.stagemarkt,
  [RECIPIENTS.svb]: topic.svb,
  [RECIPIENTS.ggd]: topic.ggd,
};
const tokens: Record<string, string> = Object.fromEntries(recipients.map((r) => [r, randomBytes(16).toString('hex')]));
const metricsToken = randomBytes(16).toString('hex');
const logger = createLogger({ service: 'deliver-rebuild-test', level: process.env.TEST_LOG_LEVEL ?? 'error' });
const agreements = loadAgreements(new URL('../agreements', import.meta.url).pathname);
const PERSONS = 200;

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
    DELIVER_LEASE_TOPIC: `${id}.${name}.lease`,
    DELIVER_HTTP_PORT: '0',
    DELIVER_API_TOKENS: recipients.map((r) => `${r}:${tokens[r]}`).join(','),
    DELIVER_METRICS_TOKEN: metricsToken,
  });
const live = deployment('live');
const fresh = deployment('fresh');
const start = (config: typeof live) => startDeliver({ config, bus, registry, logger, sweepEveryMs: 60_000 });

/** A person's history: an MBO enrolment with a BPV, then (batch 1) a change for some of them. */
function historyOf(p: number, batch: number): RawOptions[] {
  const bsn = testBsn(9000 + p);
  const inschrijving = { brin: ['25LX', '26AB'][p % 2], inschrijvingsvolgnummer: `R${p}` };
  const base = { sector: 'MBO' as const, bsn, geboortedatum: '2009-05-14', inschrijving };
  if (batch === 0) {
    return [
      { ...base, eventId: `rb-${p}-a`, eventType: 'InschrijvingGeregistreerd', on: '2026-02-02' },
      { ...base, eventId: `rb-${p}-b`, eventType: 'BpvGeregistreerd', on: '2026-02-10' },
    ];
  }
  return p % 2 === 0 ? [{ ...base, eventId: `rb-${p}-c`, eventType: 'BpvGewijzigd', on: '2026-03-02', bpv: { omvangUren: 300 + p } }] : [];
}

async function recordsOf(persons: number[], batch: number, schemaIds: Map<string, number>): Promise<OutgoingMessage[]> {
  const out: OutgoingMessage[] = [];
  for (const p of persons) {
    for (const options of historyOf(p, batch)) {
      for (const recipient of recipients) {
        let record: { persoon: { pseudonym?: string; nummer?: string } };
        try {
          record = recordFor(recipient, options);
        } catch {
          continue; // not in this recipient's agreement
        }
        out.push({
          topic: inputOf[recipient]!,
          key: record.persoon.pseudonym ?? record.persoon.nummer!,
          value: await registry.encode(schemaIds.get(recipient)!, record),
        });
      }
    }
  }
  return out;
}

/** written in a transaction, as pseudonymise writes: the topics end with transaction markers, not records */
const send = async (messages: OutgoingMessage[]) => {
  const producer = await bus.transactionalProducer(`${id}-send-${randomBytes(4).toString('hex')}`);
  const tx = await producer.transaction();
  await tx.send(messages);
  await tx.commit();
  await producer.disconnect();
};

const projectionOf = (recipient: string): Projection<unknown> =>
  ({ [RECIPIENTS.stagemarkt]: projectionKinds.stagemarkt, [RECIPIENTS.svb]: projectionKinds.svb, [RECIPIENTS.ggd]: projectionKinds.ggd })[
    recipient
  ]!.make(recipient);
const checksumOf = (deliver: Deliver, recipient: string) => {
  const running = deliver.projections.get(recipient)!;
  return running.projection.checksum(running.state());
};
const admin_ = (deliver: Deliver, recipient: string, method: 'GET' | 'POST') =>
  fetch(`${deliver.url}/admin/rebuild/${recipient}`, { method, headers: { authorization: `Bearer ${metricsToken}` } });
const rebuilt = (deliver: Deliver, recipient: string) =>
  waitFor(
    `${recipient} rebuilt`,
    async () => {
      const status = (await (await admin_(deliver, recipient, 'GET')).json()) as RebuildStatus;
      if (status.state === 'failed') throw new Error(`the rebuild failed: ${status.error}`);
      return status.state === 'done' && status;
    },
    { timeoutMs: 120_000, intervalMs: 100 },
  );

let admin: Admin;
let schemaIds: Map<string, number>;
const instances: Deliver[] = [];
let a: Deliver;
let b: Deliver;
/** rows of a person no record names, in the Stagemarkt feed before deliver starts */
let ghostKeys: string[];

beforeAll(async () => {
  admin = await bus.admin();
  await createTopics(
    admin,
    { name: topic.stagemarkt, partitions: 3 },
    { name: topic.svb, partitions: 3 },
    { name: topic.ggd, partitions: 3 },
  );
  schemaIds = new Map();
  for (const recipient of recipients) {
    const agreement = agreements.find((x) => x.recipient === recipient)!;
    schemaIds.set(
      recipient,
      await registry.register(valueSubject(inputOf[recipient]!), recipientSchema(agreement) as never, 'BACKWARD_TRANSITIVE'),
    );
  }
  // an older, wrong fold left rows of a person who is in no record
  const ghost = stagemarkt.emptyState();
  for (const options of historyOf(PERSONS + 1, 0)) stagemarkt.apply(ghost, recordFor(RECIPIENTS.stagemarkt, options));
  const ghostRows = stagemarkt.rows(ghost as StagemarktState);
  ghostKeys = ghostRows.map(([key]) => key);
  const stagemarktFeed = `${live.feedPrefix}${RECIPIENTS.stagemarkt}.v1`;
  await admin.ensureTopics([topicSpec({ ...projectionKinds.stagemarkt.feed, name: stagemarktFeed }, 1)]);
  await send(ghostRows.map(([key, row]) => ({ topic: stagemarktFeed, key, value: JSON.stringify(row) })));

  await send(
    await recordsOf(
      Array.from({ length: PERSONS }, (_, i) => i),
      0,
      schemaIds,
    ),
  );
  a = await start(live);
  instances.push(a);
  b = await start(live);
  instances.push(b);
  for (const r of recipients) await groupCaughtUp(admin, `${live.groupPrefix}-${r}`, inputOf[r]!, 120_000);
}, 300_000);

afterAll(async () => {
  await Promise.allSettled(instances.map((d) => d.stop()));
  await admin?.disconnect();
});

describe('a rebuild beside the live projection', () => {
  it('is refused by an instance that is not the sole writer, and needs the metrics token', async () => {
    const [writer, follower] = a.projections.get(RECIPIENTS.svb)!.writing() ? [a, b] : [b, a];
    expect(follower.projections.get(RECIPIENTS.svb)!.writing()).toBe(false);
    expect((await admin_(follower, RECIPIENTS.svb, 'POST')).status).toBe(409);
    // Stagemarkt's partitions are split between the two: neither rebuilds it alone
    expect((await admin_(writer, RECIPIENTS.stagemarkt, 'POST')).status).toBe(409);
    const noToken = await fetch(`${writer.url}/admin/rebuild/${RECIPIENTS.svb}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[RECIPIENTS.svb]}` },
    });
    expect(noToken.status).toBe(401);
    expect((await admin_(writer, RECIPIENTS.svb, 'GET')).status).toBe(404); // none started yet
  });

  it('rebuilds SVB on the lease holder with the operator CLI: the same rows, nothing written', async () => {
    const writer = a.projections.get(RECIPIENTS.svb)!.writing() ? a : b;
    const before = checksumOf(writer, RECIPIENTS.svb);
    const cli = new URL('../services/deliver/src/cli/rebuild.ts', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, [cli, '--recipient', RECIPIENTS.svb, '--url', writer.url], {
      env: { ...process.env, DELIVER_METRICS_TOKEN: metricsToken },
    });
    expect(JSON.parse(stdout)).toMatchObject({ recipient: RECIPIENTS.svb, feedChanges: 0, poison: 0 });
    expect(await rebuilt(writer, RECIPIENTS.svb)).toMatchObject({ state: 'done' });
    expect(checksumOf(writer, RECIPIENTS.svb)).toBe(before);
    expect(writer.projections.get(RECIPIENTS.svb)!.writing()).toBe(true);
  });

  it('rebuilds Stagemarkt while its API is read and records arrive: old rows until the switch, then the fresh fold', async () => {
    // one instance left, which folds every Stagemarkt partition
    await b.stop();
    instances.splice(instances.indexOf(b), 1);
    const running = a.projections.get(RECIPIENTS.stagemarkt)!;
    await waitFor('a folds every Stagemarkt partition', async () => {
      const response = await admin_(a, RECIPIENTS.stagemarkt, 'POST');
      return response.status === 202;
    });

    // a reader all along: the ghost row while the old projection serves, then never again
    const ghostRead: number[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const response = await fetch(`${a.url}/v1/${RECIPIENTS.stagemarkt}/rows/${encodeURIComponent(ghostKeys[0]!)}`, {
          headers: { authorization: `Bearer ${tokens[RECIPIENTS.stagemarkt]}` },
        });
        await response.arrayBuffer();
        if (ghostRead.at(-1) !== response.status) ghostRead.push(response.status);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // records keep arriving while it runs
    const later = Array.from({ length: PERSONS }, (_, i) => i);
    for (let i = 0; i < 4; i++) {
      await send(await recordsOf(later.slice(i * 50, (i + 1) * 50), 1, schemaIds));
      await new Promise((r) => setTimeout(r, 100));
    }
    const status = await rebuilt(a, RECIPIENTS.stagemarkt);
    for (const r of recipients) await groupCaughtUp(admin, `${live.groupPrefix}-${r}`, inputOf[r]!, 120_000);
    reading = false;
    await reader;

    expect(ghostRead).toEqual([200, 404]);
    const report = status.state === 'done' ? status.report : undefined;
    expect(report).toMatchObject({ recipient: RECIPIENTS.stagemarkt, poison: 0 });
    expect(report!.feedChanges).toBeGreaterThanOrEqual(ghostKeys.length); // at least their tombstones
    // every record up to where the rebuild stopped folded once by it; the live fold read on from there
    const upToSwitch = (await readAll(bus, admin, topic.stagemarkt)).filter(
      (m) => BigInt(m.offset) < BigInt(report!.offsets[m.partition] ?? 0),
    );
    expect(report!.records).toBe(upToSwitch.length);

    // a fresh deliver, on groups and feeds of its own, folds the same topics to the same projection
    const reference = await start(fresh);
    instances.push(reference);
    await groupCaughtUp(admin, `${fresh.groupPrefix}-${RECIPIENTS.stagemarkt}`, topic.stagemarkt, 120_000);
    const expected = await restoreProjection({
      bus,
      admin,
      projection: projectionOf(RECIPIENTS.stagemarkt),
      feedTopic: `${fresh.feedPrefix}${RECIPIENTS.stagemarkt}.v1`,
      groupPrefix: `${id}-check`,
    });
    const projection = projectionOf(RECIPIENTS.stagemarkt);
    const inFeed = await restoreProjection({
      bus,
      admin,
      projection,
      feedTopic: `${live.feedPrefix}${RECIPIENTS.stagemarkt}.v1`,
      groupPrefix: `${id}-check`,
    });
    expect(projection.checksum(inFeed.state)).toBe(projection.checksum(expected.state));
    await waitFor('the API shows every row', () => projection.size(running.state()) === expected.rows);
    expect(checksumOf(a, RECIPIENTS.stagemarkt)).toBe(projection.checksum(expected.state));
    // the ghost rows were tombstoned in the feed, not just hidden
    const tombstoned = (await readAll(bus, admin, `${live.feedPrefix}${RECIPIENTS.stagemarkt}.v1`)).filter(
      (m) => ghostKeys.includes(m.key!.toString()) && m.value === null,
    );
    expect(tombstoned.length).toBe(ghostKeys.length);
  });
});
