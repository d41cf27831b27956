import { randomBytes } from 'node:crypto';
import {
  type Deliver,
  decodeFeedValue,
  settings as deliverSettings,
  feedTimestamp,
  type GgdRecord,
  type GgdRow,
  ggd,
  startDeliver,
} from '@register-feeds/deliver';
import { recordFor } from '@register-feeds/deliver/test-support';
import { loadAgreements, recipientSchema } from '@register-feeds/pseudonymise';
import { type Admin, createLogger, loadConfig, valueSubject } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverTestEnv, deliverTestTopics } from './support/deliver-env.ts';
import { testBsn } from './support/raw-events.ts';
import { createTopics, readAll, testStack, uniqueName, waitFor } from './support/stack.ts';

// The GGD sweep runs on a timer of its own: with no new record on the GGD topic, a clock that moves past
// a student's 18th birthday takes them out of the projection, the compacted feed (one transaction: an
// update for a school that keeps students, a tombstone for one that has none left) and the read API.
// Deliver restarted from that feed does not bring them back. Feed records carry the start of the day.

const { bus, registry, brokers, registryUrl } = testStack();
const logger = createLogger({ service: 'sweep-test', level: process.env.TEST_LOG_LEVEL ?? 'warn' });
const id = uniqueName('sweep');
const token = randomBytes(16).toString('hex');
const topic = deliverTestTopics(id);
const feedTopic = `${id}.feed.ggd-jeugdgezondheid.v1`;

// before the birthdays, then after them; both before the real today, so no feed timestamp lies ahead of the broker
let now = Date.parse('2026-06-01T10:00:00Z');
const clock = () => now;

const older = testBsn(701); // 18 on 2026-09-15
const olderElsewhere = testBsn(702); // 18 on 2026-08-01, alone at an MBO location
const younger = testBsn(703); // 18 in 2030
const VO_SCHOOL = '25LX|25LX01|';
const MBO_SCHOOL = '25LX||LOC01';

const records: GgdRecord[] = [
  recordFor<GgdRecord>('ggd-jeugdgezondheid', {
    eventId: `${id}-1`,
    eventType: 'InschrijvingGeregistreerd',
    on: '2026-03-01',
    sector: 'VO',
    bsn: older,
    geboortedatum: '2008-09-15',
  }),
  recordFor<GgdRecord>('ggd-jeugdgezondheid', {
    eventId: `${id}-2`,
    eventType: 'InschrijvingGeregistreerd',
    on: '2026-03-01',
    sector: 'VO',
    bsn: younger,
    geboortedatum: '2012-01-01',
    inschrijving: { inschrijvingsvolgnummer: 'V2' },
  }),
  recordFor<GgdRecord>('ggd-jeugdgezondheid', {
    eventId: `${id}-3`,
    eventType: 'InschrijvingGeregistreerd',
    on: '2026-03-01',
    sector: 'MBO',
    bsn: olderElsewhere,
    geboortedatum: '2008-08-01',
  }),
];

let admin: Admin;
let deliver: Deliver;
const config = loadConfig(deliverSettings, {
  ...deliverTestEnv({ id, brokers, registryUrl }),
  DELIVER_API_TOKENS: `ggd-jeugdgezondheid:${token}`,
});
const start = () => startDeliver({ config, bus, registry, logger, clock, sweepEveryMs: 250 });

beforeAll(async () => {
  admin = await bus.admin();
  await createTopics(admin, { name: topic.stagemarkt }, { name: topic.svb }, { name: topic.ggd });
  const agreement = loadAgreements(new URL('../agreements', import.meta.url).pathname).find((a) => a.recipient === 'ggd-jeugdgezondheid')!;
  const schemaId = await registry.register(valueSubject(topic.ggd), recipientSchema(agreement) as never, 'BACKWARD_TRANSITIVE');
  deliver = await start();
  const producer = await bus.producer();
  await producer.send(
    await Promise.all(records.map(async (r) => ({ topic: topic.ggd, key: r.recordId, value: await registry.encode(schemaId, r) }))),
  );
  await producer.disconnect();
});

afterAll(async () => {
  await deliver?.stop();
  await admin?.disconnect();
});

const ggdOf = (d: Deliver) => d.projections.get('ggd-jeugdgezondheid')!;
const listedInState = (d: Deliver) => JSON.stringify(ggd.rows(ggdOf(d).state() as never));
const lastPerKey = async () => {
  const latest = new Map<string, { value: GgdRow | null; timestamp: string }>();
  for (const m of await readAll(bus, admin, feedTopic)) {
    // the row as deliver keeps it, from the feed's envelope (feed-value.ts)
    const value = m.value === null ? null : (decodeFeedValue(ggd, m.value.toString()) as GgdRow);
    latest.set(m.key!.toString(), { value, timestamp: m.timestamp });
  }
  return latest;
};
const nummers = (row: GgdRow | null | undefined) => row?.students.map((s) => s.nummer).sort() ?? null;

describe('the GGD sweep on its own timer', () => {
  it('drops students who turned 18 from the projection, the feed and the API when the clock moves, with no new record', async () => {
    // records counts after the commit; a reader may still see the feed without it for a moment (the
    // transaction's markers are written after the commit returns), so the feed is waited for
    await waitFor('the three records read and committed', () => ggdOf(deliver).metrics.records === records.length);
    for (const n of [older, younger, olderElsewhere]) expect(listedInState(deliver)).toContain(n);
    const before = await waitFor('both schools in the feed', async () => {
      const latest = await lastPerKey();
      return latest.get(VO_SCHOOL)?.value && latest.get(MBO_SCHOOL)?.value ? latest : undefined;
    });
    expect(nummers(before.get(VO_SCHOOL)?.value)).toEqual([older, younger].sort());
    expect(nummers(before.get(MBO_SCHOOL)?.value)).toEqual([olderElsewhere]);
    expect(before.get(VO_SCHOOL)?.timestamp).toBe(feedTimestamp(Date.parse('2026-06-01T10:00:00Z')));
    const recordsRead = ggdOf(deliver).metrics.records;

    now = Date.parse('2026-10-01T10:00:00Z'); // both older students are 18 now
    await waitFor('the sweep to take the 18-year-olds out of the projection', () => !listedInState(deliver).includes(older));
    expect(listedInState(deliver)).not.toContain(olderElsewhere);
    expect(listedInState(deliver)).toContain(younger);
    expect(ggdOf(deliver).metrics.records).toBe(recordsRead); // nothing was read: the timer did it

    const after = await waitFor('the sweep in the feed', async () => {
      const latest = await lastPerKey();
      return latest.get(MBO_SCHOOL)?.value === null ? latest : undefined;
    });
    expect(nummers(after.get(VO_SCHOOL)?.value)).toEqual([younger]);
    // stamped with the start of the day the sweep ran on (Amsterdam), not the instant it was written
    expect(after.get(VO_SCHOOL)?.timestamp).toBe(String(Date.parse('2026-09-30T22:00:00Z')));
    expect(after.get(MBO_SCHOOL)?.timestamp).toBe(String(Date.parse('2026-09-30T22:00:00Z')));

    const response = await fetch(`${deliver.url}/v1/ggd-jeugdgezondheid/rows?peildatum=2026-06-01`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(body).toContain(younger);
    expect(body).not.toContain(older);
    expect(body).not.toContain(olderElsewhere);
  });

  it('stays swept after a restart from the feed', async () => {
    await deliver.stop();
    deliver = await start();
    expect(listedInState(deliver)).toContain(younger);
    expect(listedInState(deliver)).not.toContain(older);
    expect(listedInState(deliver)).not.toContain(olderElsewhere);
  });
});
