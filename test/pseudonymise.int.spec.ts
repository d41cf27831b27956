import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Agreement,
  applyAgreement,
  createKeyStore,
  generateTestKeys,
  loadAgreements,
  recordIdFor,
  settings,
  startPseudonymise,
} from '@register-feeds/pseudonymise';
import { amsterdamDayStart, type RegisterEvent } from '@register-feeds/register-model';
import { type Admin, createLogger, loadConfig } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyAgreements, recipientTopicOf } from './support/agreements.ts';
import { canonical, publishCanonical } from './support/canonical.ts';
import { pseudonymiseTestEnv } from './support/pseudonymise-env.ts';
import { rawEvents, testBsn } from './support/raw-events.ts';
import { groupCaughtUp, keepOutput, readAll, testStack, uniqueName, waitFor } from './support/stack.ts';

// Pseudonymise on the real stack: one enrolment and one BPV event fan out to the five recipients, each
// with exactly its fields, its own pseudonym, record ids and correct ages; the GGD gets nothing about a
// student who is 18 on the date of the change or on the date of delivery; a recipient outside its term
// gets nothing; every event delivered has one audit entry; and a killed service neither loses nor repeats
// a delivery. (test/privacy.e2e.spec.ts joins recipients against each other.)

const { bus, registry, brokers, registryUrl } = testStack();
const REPO_AGREEMENTS = new URL('../agreements', import.meta.url).pathname;
let admin: Admin;

beforeAll(async () => {
  admin = await bus.admin();
});
afterAll(async () => {
  await admin.disconnect();
});

function person(n: number, geboortedatum: string) {
  return { bsn: testBsn(n), geboortedatum, naam: { voornamen: 'Test', achternaam: `Persoon ${n}` } };
}
const mboInschrijving = {
  brin: '25LX',
  inschrijvingsvolgnummer: '7001',
  opleidingscode: '25180',
  leerweg: 'BBL',
  niveau: 3,
  locatiecodeMbo: 'LOC1',
  begindatum: '2025-08-01',
};

describe('pseudonymise', () => {
  it('fans one enrolment and one BPV event out to the five recipients, each with exactly what its agreement allows', async () => {
    const id = uniqueName('pseudo');
    // delivered today (2026 or later): the GGD rule looks at the date of the change and of delivery
    const seventeen = person(101, `${new Date().getUTCFullYear() - 17}-01-01`); // a minor on both dates
    const eighteen = person(102, '2007-08-01'); // 18 on 2025-09-01
    const grownUp = person(103, '2008-03-01'); // 17 on 2025-09-01, 18 since 2026-03-01: adult when delivered
    const events = [
      canonical({
        eventId: `${id}-1`,
        eventType: 'InschrijvingGeregistreerd',
        occurredAt: '2025-09-01T08:00:00Z',
        sector: 'MBO',
        persoon: seventeen,
        inschrijving: mboInschrijving,
      }),
      canonical({
        eventId: `${id}-2`,
        eventType: 'BpvGeregistreerd',
        occurredAt: '2025-09-02T08:00:00Z',
        sector: 'MBO',
        persoon: seventeen,
        inschrijving: mboInschrijving,
        bpv: {
          bpvVolgnummer: 1,
          leerbedrijf: { id: 'LB77', naam: 'Garage Zuid BV' },
          begindatum: '2025-09-15',
          geplandeEinddatum: '2026-06-30',
          omvangUren: 480,
        },
      }),
      canonical({
        eventId: `${id}-3`,
        eventType: 'InschrijvingGeregistreerd',
        occurredAt: '2025-09-01T09:00:00Z',
        sector: 'MBO',
        persoon: eighteen,
        inschrijving: mboInschrijving,
      }),
      canonical({
        eventId: `${id}-4`,
        eventType: 'InschrijvingGeregistreerd',
        occurredAt: '2025-09-01T10:00:00Z',
        sector: 'MBO',
        persoon: grownUp,
        inschrijving: { ...mboInschrijving, inschrijvingsvolgnummer: '7002' },
      }),
    ];
    // the reviewed agreements; RECIPIENT_TOPIC_PREFIX gives this test recipient topics of its own
    const agreements = loadAgreements(REPO_AGREEMENTS);
    // a sixth recipient, S-BB's agreement again, but its term ended before the delivery: it must get nothing
    const sbb = agreements.find((a) => a.recipient === 'sbb-stagemarkt')!;
    const expired: Agreement = {
      ...sbb,
      recipient: 'sbb-expired',
      term: { from: sbb.term.from, to: sbb.term.from + 30 },
      output: { topic: `${sbb.output.topic}9` },
    };
    const all = [...agreements, expired];
    const keys = createKeyStore(generateTestKeys(all.map((a) => a.recipient)));
    const config = loadConfig(settings, pseudonymiseTestEnv({ id, brokers, registryUrl }));
    await publishCanonical(bus, registry, config.eventsTopic, events);
    const pipeline = await startPseudonymise({
      config,
      agreements: all,
      keys,
      bus,
      registry,
      logger: createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'warn' }),
    });
    try {
      await groupCaughtUp(admin, config.groupId, config.eventsTopic);
    } finally {
      await pipeline.stop();
    }

    const received = async (recipient: string) => {
      const agreement = all.find((a) => a.recipient === recipient)!;
      const messages = await readAll(bus, admin, recipientTopicOf(config.recipientTopicPrefix, agreement));
      return Promise.all(
        messages.map(async (m) => ({
          key: m.key!.toString(),
          timestamp: m.timestamp,
          value: await registry.decode<Record<string, any>>(m.value!),
          recipient,
        })),
      );
    };
    // the test holds the keys, so it can tell which event a record id stands for; a recipient cannot
    const eventOf = (r: { recipient: string; value: Record<string, any> }) =>
      events.find((e) => recordIdFor(e.eventId, keys.keyFor(r.recipient)!) === r.value.recordId)?.eventId;
    const byEvent = (records: Awaited<ReturnType<typeof received>>, n: number) => records.find((r) => eventOf(r) === `${id}-${n}`)!;
    const eventsOf = (records: Awaited<ReturnType<typeof received>>) => records.map(eventOf).sort();

    // S-BB: every MBO change, BPV included; its own pseudonym, never the number, the name or the birth date
    const stagemarkt = await received('sbb-stagemarkt');
    expect(eventsOf(stagemarkt)).toEqual([`${id}-1`, `${id}-2`, `${id}-3`, `${id}-4`]);
    for (const r of stagemarkt) {
      expect(r.value).not.toHaveProperty('eventId');
      expect(r.value).not.toHaveProperty('occurredAt');
      expect(JSON.stringify(r.value)).not.toContain(id);
      expect(Object.keys(r.value.persoon)).toEqual(['pseudonym']);
      expect(r.key).toBe(r.value.persoon.pseudonym);
      expect(JSON.stringify(r.value)).not.toContain(seventeen.bsn);
      expect(JSON.stringify(r.value)).not.toContain('Test');
    }
    expect(byEvent(stagemarkt, 1).value.persoon.pseudonym).toBe(byEvent(stagemarkt, 2).value.persoon.pseudonym);
    expect(byEvent(stagemarkt, 1).value.leeftijden).toEqual([
      { label: 'op-datum-wijziging', peildatum: 20332, leeftijd: 2025 - Number(seventeen.geboortedatum.slice(0, 4)) },
    ]);
    expect(byEvent(stagemarkt, 1).value.occurredOn).toBe(20332);
    // the two changes of 2025-09-01 keep their order (08:00 before 09:00)
    expect(byEvent(stagemarkt, 3).value.order).toBeGreaterThan(byEvent(stagemarkt, 1).value.order);
    expect(byEvent(stagemarkt, 2).value.bpv).toMatchObject({
      bpvVolgnummer: 1,
      status: 'actueel',
      omvangUren: 480,
      leerbedrijf: { id: 'LB77', naam: 'Garage Zuid BV' },
    });

    // SVB: enrolments only, keyed and identified by the BSN
    const svb = await received('svb-kostendelersnorm');
    expect(eventsOf(svb)).toEqual([`${id}-1`, `${id}-3`, `${id}-4`]);
    expect(byEvent(svb, 1).key).toBe(seventeen.bsn);
    expect(byEvent(svb, 1).value.persoon).toEqual({ nummer: seventeen.bsn, soort: 'BSN' });
    expect(byEvent(svb, 1).value.inschrijving).toEqual({
      brin: '25LX',
      inschrijvingsvolgnummer: '7001',
      begindatum: 20301,
      einddatum: null,
    });

    // GGD: BSN and name of the minor; nothing at all about the student who was 18 on the date of the change,
    // nor about the one who was 17 then but is 18 on the date of delivery
    const ggd = await received('ggd-jeugdgezondheid');
    expect(eventsOf(ggd)).toEqual([`${id}-1`]);
    expect(byEvent(ggd, 1).key).toBe(seventeen.bsn);
    expect(byEvent(ggd, 1).value.persoon).toMatchObject({ nummer: seventeen.bsn, naam: { voornamen: 'Test', achternaam: 'Persoon 101' } });
    for (const adult of [eighteen, grownUp]) expect(JSON.stringify(ggd)).not.toContain(adult.bsn);
    expect(byEvent(ggd, 1).value.inschrijving.leerjaar).toBeNull();

    // The Minister and the Inspectie: pseudonyms of their own, unlinkable to each other and to S-BB's; ages at their reference dates
    const minister = await received('ocw-minister');
    const inspectie = await received('inspectie-onderwijs');
    const p = [byEvent(minister, 1), byEvent(inspectie, 1), byEvent(stagemarkt, 1)].map((r) => r.value.persoon.pseudonym);
    expect(new Set(p).size).toBe(3);
    const born = Number(seventeen.geboortedatum.slice(0, 4));
    expect(byEvent(minister, 1).value.leeftijden.map((a: { leeftijd: number }) => a.leeftijd)).toEqual(Array(4).fill(2025 - born));
    expect(byEvent(inspectie, 1).value.leeftijden.map((a: { leeftijd: number }) => a.leeftijd)).toEqual([
      2025 - born,
      2025 - born,
      2026 - born,
      2026 - born,
    ]);
    expect(byEvent(minister, 3).value.leeftijden.map((a: { leeftijd: number }) => a.leeftijd)).toEqual([18, 18, 18, 18]);
    // enrolments told apart by a pseudonym of each one's own, not by the institution's number
    expect(byEvent(minister, 3).value.inschrijving.inschrijvingPseudonym).not.toBe(
      byEvent(minister, 4).value.inschrijving.inschrijvingPseudonym,
    );
    expect(byEvent(minister, 1).value.inschrijving.inschrijvingPseudonym).not.toBe(
      byEvent(inspectie, 1).value.inschrijving.inschrijvingPseudonym,
    );
    for (const r of [...minister, ...inspectie]) {
      expect(r.value.persoon).toEqual({ pseudonym: expect.stringMatching(/^v1\.[A-Za-z0-9_-]{43}$/) });
      expect(r.value.inschrijving).not.toHaveProperty('inschrijvingsvolgnummer');
      for (const secret of [seventeen.bsn, eighteen.bsn, '"geboortedatum"', '"naam"'])
        expect(JSON.stringify(r.value)).not.toContain(secret);
    }

    // outside its term: nothing
    expect(await received('sbb-expired')).toEqual([]);

    // Kafka timestamps: the start of the delivery date, not the production instant every recipient shares
    for (const r of [...stagemarkt, ...svb, ...ggd, ...minister, ...inspectie])
      expect(Number(r.timestamp)).toBe(amsterdamDayStart(Number(r.timestamp)));

    // accountability: one audit entry per event, naming every recipient with the legal basis, purpose and fields of its delivery
    const audit = await Promise.all(
      (await readAll(bus, admin, config.auditTopic)).map((m) => registry.decode<Record<string, any>>(m.value!)),
    );
    expect(audit.map((e) => e.eventId).sort()).toEqual([`${id}-1`, `${id}-2`, `${id}-3`, `${id}-4`]);
    const recipientsOf = (n: number) =>
      audit.find((e) => e.eventId === `${id}-${n}`)!.deliveries.map((d: { recipient: string }) => d.recipient);
    expect(recipientsOf(1).sort()).toEqual([
      'ggd-jeugdgezondheid',
      'inspectie-onderwijs',
      'ocw-minister',
      'sbb-stagemarkt',
      'svb-kostendelersnorm',
    ]);
    expect(recipientsOf(2)).toEqual(['sbb-stagemarkt']);
    expect(recipientsOf(4)).not.toContain('ggd-jeugdgezondheid');
    for (const entry of audit) {
      for (const d of entry.deliveries) {
        const agreement = all.find((a) => a.recipient === d.recipient)!;
        expect(d).toMatchObject({
          legalBasis: agreement.legalBasis,
          purpose: agreement.purpose,
          outputTopic: recipientTopicOf(config.recipientTopicPrefix, agreement),
          keyVersion: 'v1',
        });
        expect(d.fieldsSent.length).toBeGreaterThan(3);
      }
      // nothing of a recipient's own identifiers: they would undo crypto-shredding
      expect(JSON.stringify(entry)).not.toMatch(/v1\.[A-Za-z0-9_-]{43}/);
    }
  });

  it('neither loses nor repeats a delivery when killed mid-stream and started again', async () => {
    const id = uniqueName('pseudo-kill');
    const dir = copyAgreements(mkdtempSync(join(tmpdir(), 'agreements-')));
    const agreements = loadAgreements(dir);
    const keysFile = join(dir, 'keys.json.secret');
    writeFileSync(keysFile, JSON.stringify(generateTestKeys(agreements.map((a) => a.recipient))), { mode: 0o600 });
    const env = {
      ...pseudonymiseTestEnv({ id, brokers, registryUrl, keysFile }),
      AGREEMENTS_DIR: dir,
      LOG_LEVEL: 'warn',
    };
    const events: RegisterEvent[] = rawEvents({ persons: 400, eventsPerPerson: 8, idPrefix: id }).map(canonical);
    // A third before the start, a third while it runs (the kill comes after it), a third after the kill:
    // however fast it is, the kill lands while it is working and the restart has events it never saw.
    // (All published up front, large transactions made the first commit take in everything at once.)
    const third = Math.floor(events.length / 3);
    await publishCanonical(bus, registry, env.EVENTS_TOPIC, events.slice(0, third));

    const start = (): ChildProcess =>
      keepOutput(
        spawn(process.execPath, ['services/pseudonymise/src/main.ts'], {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
        'pseudonymise',
      );
    const first = start();
    await waitFor(
      'some committed progress before the kill',
      async () => (await admin.groupOffsets(env.PSEUDONYMISE_GROUP_ID, env.EVENTS_TOPIC)).some((c) => Number(c.offset) > 0),
      { timeoutMs: 90_000, intervalMs: 20 },
    );
    await publishCanonical(bus, registry, env.EVENTS_TOPIC, events.slice(third, 2 * third));
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const atKill = (await admin.groupOffsets(env.PSEUDONYMISE_GROUP_ID, env.EVENTS_TOPIC)).reduce(
      (n, c) => n + Math.max(0, Number(c.offset)),
      0,
    );
    expect(atKill).toBeGreaterThan(0);
    await publishCanonical(bus, registry, env.EVENTS_TOPIC, events.slice(2 * third));

    const second = start();
    try {
      await groupCaughtUp(admin, env.PSEUDONYMISE_GROUP_ID, env.EVENTS_TOPIC);
    } finally {
      second.kill('SIGTERM');
    }
    expect(await new Promise((resolve) => second.once('exit', resolve))).toBe(0);

    // what each recipient must have received, from the pure core with the service's own keys (the term and
    // age checks on the delivery date do not depend on the instant within today)
    const keys = createKeyStore(JSON.parse(readFileSync(keysFile, 'utf8')));
    for (const agreement of agreements) {
      const key = keys.keyFor(agreement.recipient)!;
      const expected = events.filter((e) => applyAgreement(e, agreement, key, Date.now()) !== null).map((e) => recordIdFor(e.eventId, key));
      const got = await Promise.all(
        (await readAll(bus, admin, recipientTopicOf(env.RECIPIENT_TOPIC_PREFIX, agreement))).map(
          async (m) => (await registry.decode<{ recordId: string }>(m.value!)).recordId,
        ),
      );
      expect(got.length, `${agreement.recipient}: duplicates or gaps`).toBe(expected.length);
      expect(new Set(got), agreement.recipient).toEqual(new Set(expected));
    }
    const audit = await readAll(bus, admin, env.AUDIT_TOPIC);
    expect(audit.length).toBe(events.length); // one entry per event: S-BB gets every one of them
  });
});
