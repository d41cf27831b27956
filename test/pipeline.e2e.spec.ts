import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawPersonKey } from '@register-feeds/contracts';
import {
  type Deliver,
  settings as deliverSettings,
  registerDeliverMetrics,
  restoreProjection,
  startDeliver,
} from '@register-feeds/deliver';
import { type IngestPipeline, settings as ingestSettings, startIngest } from '@register-feeds/ingest';
import {
  createKeyStore,
  generateTestKeys,
  loadAgreements,
  type PseudonymisePipeline,
  settings as pseudonymiseSettings,
  startPseudonymise,
} from '@register-feeds/pseudonymise';
import { type Admin, createLogger, loadConfig, serviceRegistry } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyAgreements, recipientTopicOf, testTopicPrefix } from './support/agreements.ts';
import { ingestPartitionKeyFile } from './support/ingest-key.ts';
import { testBsn } from './support/raw-events.ts';
import { readAll, testStack, uniqueName, waitFor } from './support/stack.ts';

// End to end on the real stack, all three services running: raw register events in, recipient
// projections out through the read API and the compacted feeds. Then the rebuild: deliver's state wiped,
// the recipient topics replayed from the beginning, and the checksums match.

const { bus, registry, brokers, registryUrl } = testStack();
const logger = createLogger({ service: 'e2e', level: process.env.TEST_LOG_LEVEL ?? 'warn' });
const id = uniqueName('e2e');
const tokens = {
  stagemarkt: randomBytes(16).toString('hex'),
  svb: randomBytes(16).toString('hex'),
  ggd: randomBytes(16).toString('hex'),
};
const base = { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl, LOG_LEVEL: 'warn' };
const agreements = loadAgreements(copyAgreements(mkdtempSync(join(tmpdir(), 'e2e-agreements-'))));
// pseudonymise and deliver share RECIPIENT_TOPIC_PREFIX: the agreements' recipient.<id>.v<N> behind this
// test's id, a name of its own, never a production-shaped one
const recipientPrefix = testTopicPrefix(id);
const recipientTopic = (recipient: string) => recipientTopicOf(recipientPrefix, agreements.find((a) => a.recipient === recipient)!);
const topic = {
  raw: `${id}.raw`,
  events: `${id}.events`,
  stagemarkt: recipientTopic('sbb-stagemarkt'),
  svb: recipientTopic('svb-kostendelersnorm'),
  ggd: recipientTopic('ggd-jeugdgezondheid'),
};

// "today" for pseudonymise's delivery date and deliver's GGD sweep: fixed, so the lists do not depend on the day the test runs
const today = () => Date.UTC(2026, 9, 1);
let admin: Admin;
let ingest: IngestPipeline;
let pseudonymise: PseudonymisePipeline;
let deliver: Deliver;

const deliverConfig = (feedPrefix: string, groupPrefix: string) =>
  loadConfig(deliverSettings, {
    ...base,
    RECIPIENT_TOPIC_PREFIX: recipientPrefix,
    FEED_TOPIC_PREFIX: feedPrefix,
    DELIVER_GROUP_PREFIX: groupPrefix,
    DELIVER_HTTP_PORT: '0',
    DELIVER_API_TOKENS: `sbb-stagemarkt:${tokens.stagemarkt},svb-kostendelersnorm:${tokens.svb},ggd-jeugdgezondheid:${tokens.ggd}`,
  });

beforeAll(async () => {
  admin = await bus.admin();
  ingest = await startIngest({
    config: loadConfig(ingestSettings, {
      ...base,
      RAW_TOPIC: topic.raw,
      EVENTS_TOPIC: topic.events,
      RAW_DEAD_LETTER_TOPIC: `${id}.raw-dlq`,
      INGEST_SEEN_TOPIC: `${id}.seen`,
      INGEST_GROUP_ID: `${id}.ingest`,
      INGEST_PARTITION_KEY_FILE: ingestPartitionKeyFile(),
    }),
    bus,
    registry,
    logger,
  });
  pseudonymise = await startPseudonymise({
    config: loadConfig(pseudonymiseSettings, {
      ...base,
      EVENTS_TOPIC: topic.events,
      EVENTS_DEAD_LETTER_TOPIC: `${id}.events-dlq`,
      AUDIT_TOPIC: `${id}.audit`,
      PSEUDONYMISE_GROUP_ID: `${id}.pseudonymise`,
      PSEUDONYM_KEYS_FILE: '/unused',
      RECIPIENT_TOPIC_PREFIX: recipientPrefix,
    }),
    agreements,
    keys: createKeyStore(generateTestKeys(agreements.map((a) => a.recipient))),
    bus,
    registry,
    logger,
    clock: today,
  });
  deliver = await startDeliver({ config: deliverConfig(`${id}.feed.`, `${id}.deliver`), bus, registry, logger, clock: today });
});

afterAll(async () => {
  await deliver?.stop();
  await pseudonymise?.stop();
  await ingest?.stop();
  await admin?.disconnect();
});

async function publish(...events: Array<Record<string, unknown>>) {
  const producer = await bus.producer();
  await producer.send(events.map((e) => ({ topic: topic.raw, key: rawPersonKey(JSON.stringify(e)), value: JSON.stringify(e) })));
  await producer.disconnect();
}

async function api(path: string, token?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${deliver.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, body: type.includes('json') ? await response.json() : await response.text() };
}

const student = { bsn: testBsn(501), geboortedatum: '2008-10-15', naam: { voornamen: 'Test', achternaam: 'Student' } };
const inschrijving = {
  brin: '30AB',
  inschrijvingsvolgnummer: 'E2E1',
  opleidingscode: '25180',
  leerweg: 'BBL',
  niveau: 2,
  locatiecodeMbo: 'L1',
  begindatum: '2025-08-01',
};
const bpv = {
  bpvVolgnummer: 1,
  leerbedrijf: { id: 'LB500', naam: 'Bakkerij Noord' },
  begindatum: '2025-09-01',
  geplandeEinddatum: '2026-06-30',
  omvangUren: 400,
};
let n = 0;
const event = (eventType: string, extra: Record<string, unknown> = {}) => ({
  eventId: `${id}-${++n}`,
  eventType,
  occurredAt: new Date(Date.UTC(2025, 8, 1, 8, n)).toISOString(),
  sector: 'MBO',
  persoon: student,
  inschrijving,
  ...extra,
});

describe('the pipeline, end to end', () => {
  it('shows a BPV’s life in the Stagemarkt API and feed, an SVB enrolment span, and GGD lists by reference date', async () => {
    const bpvRows = async () =>
      (await api('/v1/sbb-stagemarkt/rows?kind=bpv&brin=30AB', tokens.stagemarkt)).body.rows as Array<{ key: string; row: any }>;
    const statusIs = (status: string, extra: (row: any) => boolean = () => true) =>
      waitFor(`the Stagemarkt row to be ${status}`, async () => {
        const rows = await bpvRows();
        return rows.length === 1 && rows[0]!.row.status === status && extra(rows[0]!.row) ? rows[0] : undefined;
      });

    await publish(event('InschrijvingGeregistreerd'), event('BpvGeregistreerd', { bpv }));
    const registered = await statusIs('actueel');
    expect(registered!.row).toMatchObject({
      brin: '30AB',
      inschrijvingsvolgnummer: 'E2E1',
      leertraject: 'BBL',
      niveau: 2,
      omvangUren: 400,
      bpvVolgnummer: 1,
    });
    expect(JSON.stringify(registered)).not.toContain(student.bsn);

    await publish(event('BpvGewijzigd', { bpv: { ...bpv, omvangUren: 480 } }));
    await statusIs('actueel', (row) => row.omvangUren === 480);

    await publish(event('InschrijvingGewijzigd', { inschrijving: { ...inschrijving, niveau: 3 } }));
    await statusIs('actueel', (row) => row.niveau === 3);

    await publish(event('BpvBeeindigd', { bpv: { ...bpv, omvangUren: 480, werkelijkeEinddatum: '2026-03-31' } }));
    const ended = await statusIs('beeindigd');
    expect(ended!.row.werkelijkeEinddatum).toBe('2026-03-31');

    await publish(event('BpvVerwijderd', { bpv: { bpvVolgnummer: 1 } }));
    const removed = await statusIs('verwijderd');

    // the feed says the same, last value per key
    const feed = await readAll(bus, admin, `${id}.feed.sbb-stagemarkt.v1`);
    const lastForKey = feed.filter((m) => m.key?.toString() === removed!.key).at(-1);
    // the public row, with deliver's versions beside it (feed-value.ts)
    expect(JSON.parse(String(lastForKey?.value)).row).toMatchObject({ status: 'verwijderd', bpvVolgnummer: 1 });

    // one row on its own, and who may read it
    expect((await api(`/v1/sbb-stagemarkt/rows/${encodeURIComponent(removed!.key)}`, tokens.stagemarkt)).body.row.status).toBe(
      'verwijderd',
    );
    expect((await api('/v1/sbb-stagemarkt/rows')).status).toBe(401);
    expect((await api('/v1/sbb-stagemarkt/rows', 'not-a-token')).status).toBe(401);
    // another recipient's token: the same 401, so a caller cannot learn that a token is valid elsewhere
    expect((await api('/v1/sbb-stagemarkt/rows', tokens.svb)).status).toBe(401);
    expect((await api('/v1/svb-kostendelersnorm/rows', tokens.stagemarkt)).status).toBe(401);

    // SVB: the enrolment with its dates of enrolment and de-enrolment
    await publish(event('InschrijvingBeeindigd', { inschrijving: { ...inschrijving, niveau: 3, einddatum: '2026-07-31' } }));
    const span = await waitFor('the SVB enrolment span', async () => {
      const { body } = await api(`/v1/svb-kostendelersnorm/rows/${student.bsn}`, tokens.svb);
      return body.row?.enrolments?.find((e: any) => e.einddatum !== null);
    });
    expect(span).toMatchObject({ brin: '30AB', inschrijvingsvolgnummer: 'E2E1', begindatum: '2025-08-01', einddatum: '2026-07-31' });

    // GGD: a school's under-18 list on a reference date; a student leaves it on the 18th birthday
    const older = { bsn: testBsn(502), geboortedatum: '2008-10-15', naam: { voornamen: 'Test', achternaam: 'Ouder' } }; // 18 on 2026-10-15
    const younger = { bsn: testBsn(503), geboortedatum: '2010-01-01', naam: { voornamen: 'Test', achternaam: 'Jonger' } };
    await publish(
      { ...event('InschrijvingGeregistreerd'), persoon: older, inschrijving: { ...inschrijving, inschrijvingsvolgnummer: 'E2E2' } },
      { ...event('InschrijvingGeregistreerd'), persoon: younger, inschrijving: { ...inschrijving, inschrijvingsvolgnummer: 'E2E3' } },
    );
    const onDate = async (peildatum: string) =>
      JSON.stringify((await api(`/v1/ggd-jeugdgezondheid/rows?brin=30AB&peildatum=${peildatum}`, tokens.ggd)).body);
    // the two students may be on different partitions: wait for both
    await waitFor('both students at the GGD', async () => {
      const list = await onDate('2026-10-14');
      return list.includes(younger.bsn) && list.includes(older.bsn) ? true : undefined;
    });
    expect(await onDate('2026-10-14')).toContain(older.bsn);
    expect(await onDate('2026-10-15')).not.toContain(older.bsn);
    expect(await onDate('2026-10-15')).toContain(younger.bsn);

    // one /metrics, prom-client's (DELIVER_HEALTH_PORT serves this registry; main.ts adds deliver's gauges so)
    expect((await api('/metrics')).status).toBe(404);
    const unregister = registerDeliverMetrics({ projections: deliver.projections });
    const metrics = await serviceRegistry().metrics();
    unregister();
    expect(metrics).toMatch(/register_feeds_projection_rows\{recipient="sbb-stagemarkt"\} [1-9]/);
    expect(metrics).toContain(
      `register_feeds_consumer_lag_records{group="${id}.deliver-svb-kostendelersnorm",topic="${topic.svb}",partition="`,
    );
    expect(metrics).toContain(`register_feeds_records_in_total{group="${id}.deliver-sbb-stagemarkt",topic="${topic.stagemarkt}"}`);
    expect((await api('/ready')).status).toBe(200);
  });

  it('rebuilds every projection from scratch to the same checksum', async () => {
    // the first test waited for what it asserted, not for every projection: the SVB and GGD consumers may
    // still be reading the last events. Compare against a settled projection, not one caught mid-read.
    const inputOf: Record<string, string> = {
      'sbb-stagemarkt': topic.stagemarkt,
      'svb-kostendelersnorm': topic.svb,
      'ggd-jeugdgezondheid': topic.ggd,
    };
    // (Not the group's committed offsets: a batch that ends in an aborted transaction is never handed to the
    // consumer, so its committed offset can stay short of the end for good.) This deliver started fresh, so
    // it has read every record once it counts as many as the topic holds, read committed.
    for (const p of deliver.projections.values()) {
      const held = (await readAll(bus, admin, inputOf[p.recipient]!)).length;
      await waitFor(`${p.recipient} to have read all ${held} records`, () => p.metrics.records === held, { timeoutMs: 60_000 });
    }
    const before = new Map([...deliver.projections.values()].map((p) => [p.recipient, p.projection.checksum(p.state())]));
    const sizes = new Map([...deliver.projections.values()].map((p) => [p.recipient, p.projection.size(p.state())]));
    await deliver.stop();
    // wiped: new feeds and new consumer groups, so everything is replayed from the recipient topics
    deliver = await startDeliver({ config: deliverConfig(`${id}.rebuilt.`, `${id}.rebuild`), bus, registry, logger, clock: today });
    for (const p of deliver.projections.values()) {
      await waitFor(
        `${p.recipient} rebuilt (${sizes.get(p.recipient)} rows)`,
        () => p.projection.size(p.state()) === sizes.get(p.recipient) && p.projection.checksum(p.state()) === before.get(p.recipient),
        { timeoutMs: 90_000 },
      ).catch((error: Error) => {
        throw new Error(`${error.message}; it has ${p.projection.size(p.state())} rows, read ${p.metrics.records} records`);
      });
    }
    for (const p of deliver.projections.values()) expect(p.projection.checksum(p.state())).toBe(before.get(p.recipient));
  });

  it('resumes after a restart from its feed and committed offsets; the checksum command reads the same projection', async () => {
    const before = new Map([...deliver.projections.values()].map((p) => [p.recipient, p.projection.checksum(p.state())]));
    await deliver.stop();
    deliver = await startDeliver({ config: deliverConfig(`${id}.rebuilt.`, `${id}.rebuild`), bus, registry, logger, clock: today });
    // restored from the feed before it reads anything: the same projection at once, nothing read again
    for (const p of deliver.projections.values()) expect(p.projection.checksum(p.state()), p.recipient).toBe(before.get(p.recipient));
    for (const p of deliver.projections.values()) expect(p.metrics.records, p.recipient).toBe(0);
    const stagemarkt = deliver.projections.get('sbb-stagemarkt')!;
    const fromFeed = await restoreProjection({
      bus,
      admin,
      projection: stagemarkt.projection,
      feedTopic: `${id}.rebuilt.sbb-stagemarkt.v1`,
      groupPrefix: 'e2e-checksum',
    });
    expect(stagemarkt.projection.checksum(fromFeed.state)).toBe(before.get('sbb-stagemarkt'));

    // and it goes on with new changes
    await publish(event('BpvGeregistreerd', { bpv: { ...bpv, bpvVolgnummer: 2 } }));
    await waitFor('the new BPV after the restart', async () => {
      const { body } = await api('/v1/sbb-stagemarkt/rows?kind=bpv&bpvVolgnummer=2', tokens.stagemarkt);
      return body.rows?.length === 1 ? true : undefined;
    });
  });
});
