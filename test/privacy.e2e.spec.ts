import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Deliver, settings as deliverSettings, startDeliver } from '@register-feeds/deliver';
import { type IngestPipeline, settings as ingestSettings, startIngest } from '@register-feeds/ingest';
import {
  type Agreement,
  createKeyStore,
  enrolmentPseudonymFor,
  generateTestKeys,
  keyFileSource,
  loadAgreements,
  type PseudonymisePipeline,
  pseudonymFor,
  settings as pseudonymiseSettings,
  recordIdFor,
  startPseudonymise,
} from '@register-feeds/pseudonymise';
import { amsterdamDayStart, type RegisterEvent, toEpochDay } from '@register-feeds/register-model';
import { type Admin, type ConsumedMessage, createLogger, loadConfig } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyAgreements, recipientTopicOf, testTopicPrefix } from './support/agreements.ts';
import { testBsn } from './support/raw-events.ts';
import { groupCaughtUp, readAll, testStack, uniqueName, waitFor } from './support/stack.ts';

// The privacy suite (README, "Privacy guarantees"), on the real stack with all three services running:
// 1. a history that touches every recipient goes in as raw register events;
// 2. every pair of recipient topics is joined on every field, key, header and timestamp, as an analyst who
//    holds both would: only attributes both agreements list may match;
// 3. every topic, feed, API response and log line is scanned for each person number, name and birth date
//    fed in: they appear only where an agreement (or the topic's class: raw, canonical, dead letter) allows;
// 4. crypto-shredding the Minister (keys retired, its topic deleted) unlinks: a running pseudonymise stops
//    delivering to it, and nothing DUO keeps maps the Minister's pseudonyms or record ids back to a person.

const { bus, registry, brokers, registryUrl } = testStack();
const id = uniqueName('privacy');
const version = Math.floor(Math.random() * 1e9);
const tokens = { sbb: randomBytes(16).toString('hex'), svb: randomBytes(16).toString('hex'), ggd: randomBytes(16).toString('hex') };

/** Everything every service logs, at debug level, to scan for person data. */
const logLines: string[] = [];
const logSink = new Writable({
  write(chunk, _encoding, done) {
    logLines.push(String(chunk));
    done();
  },
});
const logger = createLogger({ service: 'privacy-e2e', level: 'debug', destination: logSink });

const dir = mkdtempSync(join(tmpdir(), 'privacy-'));
const keysFile = join(dir, 'keys.json');
const partitionKeyFile = join(dir, 'partition-key');
let agreements: Agreement[];
let admin: Admin;
let ingest: IngestPipeline;
let pseudonymise: PseudonymisePipeline;
let deliver: Deliver;

const base = { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl, LOG_LEVEL: 'debug' };
const topic = {
  raw: `${id}.raw`,
  rawDlq: `${id}.raw-dlq`,
  seen: `${id}.seen`,
  events: `${id}.events`,
  eventsDlq: `${id}.events-dlq`,
  audit: `${id}.audit`,
  feedPrefix: `${id}.feed.`,
};
// pseudonymise and deliver share RECIPIENT_TOPIC_PREFIX: the agreements' topics behind this test's id
const recipientPrefix = testTopicPrefix(id);
const recipientTopic = (recipient: string) => recipientTopicOf(recipientPrefix, agreements.find((a) => a.recipient === recipient)!);

// --- the history -------------------------------------------------------------------------------------

interface Person {
  n: number;
  nummer: string;
  soort: 'bsn' | 'onderwijsnummer';
  voornamen: string;
  achternaam: string;
  geboortedatum: string;
  /** a minor on the dates of their changes and today: the GGD may hold them */
  ggd: boolean;
}

const thisYear = new Date().getUTCFullYear();
function person(n: number, born: string, ggd: boolean, soort: Person['soort'] = 'bsn'): Person {
  // names that occur nowhere else, so a match in a scan is this person
  const tag = randomBytes(4).toString('hex');
  return {
    n,
    nummer: soort === 'bsn' ? testBsn(9000 + n) : '101000012',
    soort,
    voornamen: `Priv${tag}`,
    achternaam: `Achter${tag}`,
    geboortedatum: born,
    ggd,
  };
}

const people: Person[] = [
  person(1, `${thisYear - 8}-03-10`, true), // PO
  person(2, `${thisYear - 14}-07-01`, true), // VO
  person(3, `${thisYear - 17}-01-20`, true), // MBO, a minor until next year
  person(4, `${thisYear - 23}-02-02`, false), // MBO, an adult
  person(5, '2008-04-04', false), // MBO, 17 on the changes of early 2026, 18 since 2026-04-04: adult when delivered
  person(6, `${thisYear - 16}-11-11`, true, 'onderwijsnummer'), // MBO without a BSN
  ...Array.from({ length: 14 }, (_, i) => person(10 + i, `${thisYear - 19 - (i % 5)}-0${1 + (i % 9)}-1${i % 10}`, false)), // MBO adults
];
const sectorOf = (p: Person) => (p.n === 1 ? 'PO' : p.n === 2 ? 'VO' : 'MBO');

let eventCounter = 0;
function eventsOf(p: Person, startDay: string): Record<string, unknown>[] {
  const sector = sectorOf(p);
  const persoon = {
    ...(p.soort === 'bsn' ? { bsn: p.nummer } : { onderwijsnummer: p.nummer }),
    geboortedatum: p.geboortedatum,
    naam: { voornamen: p.voornamen, achternaam: p.achternaam },
  };
  const inschrijving: Record<string, unknown> =
    sector === 'MBO'
      ? {
          brin: p.n % 2 === 0 ? '25LX' : '30AB',
          inschrijvingsvolgnummer: `P${p.n}x${version % 1000}`,
          opleidingscode: p.n % 3 === 0 ? '25180' : '25181',
          leerweg: p.n % 2 === 0 ? 'BBL' : 'BOL',
          niveau: 2 + (p.n % 3),
          locatiecodeMbo: 'LOC1',
          begindatum: '2025-08-01',
        }
      : {
          brin: '99XA',
          brinVestiging: '99XA01',
          inschrijvingsvolgnummer: `P${p.n}x${version % 1000}`,
          opleidingscode: sector === 'PO' ? '1000' : '2790',
          leerjaar: sector === 'PO' ? 3 : 2,
          ...(sector === 'PO' ? { groep: 3 } : {}),
          begindatum: '2025-08-01',
        };
  const at = (dayOffset: number, time: string) => {
    const day = new Date(Date.parse(`${startDay}T00:00:00Z`) + dayOffset * 86_400_000).toISOString().slice(0, 10);
    return `${day}T${time}:00+01:00`;
  };
  const event = (eventType: string, occurredAt: string, extra: Record<string, unknown> = {}) => ({
    eventId: `${id}-e${++eventCounter}`,
    eventType,
    occurredAt,
    sector,
    persoon,
    inschrijving,
    ...extra,
  });
  const bpv = {
    bpvVolgnummer: 1,
    leerbedrijf: { id: `LB${p.n}`, naam: 'Leerbedrijf BV' },
    begindatum: '2026-02-16',
    geplandeEinddatum: '2026-06-30',
    omvangUren: 400,
  };
  const out = [event('InschrijvingGeregistreerd', at(0, '09:00'))];
  if (sector === 'MBO') {
    out.push(
      event('BpvGeregistreerd', at(9, '10:00'), { bpv }),
      // two changes on one day: the projections must keep their order
      event('BpvGewijzigd', at(9, '15:30'), { bpv: { ...bpv, omvangUren: 440 } }),
      event('BpvGewijzigd', at(9, '15:31'), { bpv: { ...bpv, omvangUren: 480 } }),
      event('InschrijvingGewijzigd', at(20, '11:00'), { inschrijving: { ...inschrijving, niveau: 4 } }),
    );
  } else {
    out.push(event('InschrijvingGewijzigd', at(20, '11:00')));
  }
  return out;
}

const history = people.flatMap((p, i) => eventsOf(p, `2026-02-0${1 + (i % 7)}`));
/** one raw event that fails validation: its person data may live in the raw topic and its dead-letter topic only */
const refused = person(99, `${thisYear - 12}-05-05`, false);
const badEvent = { ...eventsOf(refused, '2026-02-01')[0], sector: 'HBO' };

async function publishRaw(events: Record<string, unknown>[]) {
  const producer = await bus.producer();
  // the register's own key; the raw topic is the register's data (class raw)
  await producer.send(events.map((e) => ({ topic: topic.raw, key: String(e.eventId), value: JSON.stringify(e) })));
  await producer.disconnect();
}

// --- set-up --------------------------------------------------------------------------------------------

beforeAll(async () => {
  admin = await bus.admin();
  agreements = loadAgreements(copyAgreements(join(dir, 'agreements')));
  writeFileSync(keysFile, JSON.stringify(generateTestKeys(agreements.map((a) => a.recipient))), { mode: 0o600, flag: 'wx' });
  writeFileSync(partitionKeyFile, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });

  ingest = await startIngest({
    config: loadConfig(ingestSettings, {
      ...base,
      RAW_TOPIC: topic.raw,
      EVENTS_TOPIC: topic.events,
      RAW_DEAD_LETTER_TOPIC: topic.rawDlq,
      INGEST_SEEN_TOPIC: topic.seen,
      INGEST_GROUP_ID: `${id}.ingest`,
      INGEST_PARTITION_KEY_FILE: partitionKeyFile,
    }),
    bus,
    registry,
    logger,
  });
  pseudonymise = await startPseudonymise({
    config: loadConfig(pseudonymiseSettings, {
      ...base,
      EVENTS_TOPIC: topic.events,
      EVENTS_DEAD_LETTER_TOPIC: topic.eventsDlq,
      AUDIT_TOPIC: topic.audit,
      PSEUDONYMISE_GROUP_ID: `${id}.pseudonymise`,
      PSEUDONYM_KEYS_FILE: keysFile,
      RECIPIENT_TOPIC_PREFIX: recipientPrefix,
    }),
    agreements,
    // the key file as the service reads it: again whenever it changes (crypto-shredding below)
    keys: keyFileSource({ path: keysFile, agreements }),
    bus,
    registry,
    logger,
  });
  deliver = await startDeliver({
    config: loadConfig(deliverSettings, {
      ...base,
      RECIPIENT_TOPIC_PREFIX: recipientPrefix,
      FEED_TOPIC_PREFIX: topic.feedPrefix,
      DELIVER_GROUP_PREFIX: `${id}.deliver`,
      DELIVER_HTTP_PORT: '0',
      DELIVER_API_TOKENS: `sbb-stagemarkt:${tokens.sbb},svb-kostendelersnorm:${tokens.svb},ggd-jeugdgezondheid:${tokens.ggd}`,
    }),
    bus,
    registry,
    logger,
  });

  await publishRaw([...history, badEvent]);
  await groupCaughtUp(admin, `${id}.ingest`, topic.raw);
  await groupCaughtUp(admin, `${id}.pseudonymise`, topic.events);
  for (const recipient of ['sbb-stagemarkt', 'svb-kostendelersnorm', 'ggd-jeugdgezondheid']) {
    await groupCaughtUp(admin, `${id}.deliver-${recipient}`, recipientTopic(recipient));
  }
}, 240_000);

afterAll(async () => {
  await deliver?.stop();
  await pseudonymise?.stop();
  await ingest?.stop();
  await admin?.disconnect();
});

// --- reading what everyone got -------------------------------------------------------------------------

interface Received {
  recipient: string;
  message: ConsumedMessage;
  value: Record<string, unknown>;
}

async function receivedBy(recipient: string): Promise<Received[]> {
  const messages = await readAll(bus, admin, recipientTopic(recipient));
  return Promise.all(
    messages.map(async (message) => ({ recipient, message, value: await registry.decode<Record<string, unknown>>(message.value!) })),
  );
}

/** [attribute, value] of everything a record shows its recipient: value leaves, key, headers, timestamp. */
function observables({ message, value }: Received): [string, string][] {
  const out: [string, string][] = [];
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) for (const item of node) walk(item, path);
    else if (node !== null && typeof node === 'object')
      for (const [k, v] of Object.entries(node)) walk(v, path === '' ? k : `${path}.${k}`);
    else if (node !== null && node !== undefined) out.push([path, String(node)]);
  };
  walk(value, '');
  const persoon = value.persoon as { nummer?: string; pseudonym?: string };
  const key = message.key?.toString() ?? '';
  // the key is the person's number or pseudonym: it counts as that attribute
  out.push([key === persoon.nummer ? 'persoon.nummer' : key === persoon.pseudonym ? 'persoon.pseudonym' : 'kafka.key', key]);
  for (const [name, header] of Object.entries(message.headers)) out.push([`kafka.header.${name}`, header.toString()]);
  out.push(['kafka.timestamp', message.timestamp]);
  return out;
}

/** The recipient's own identifiers: different for every recipient by construction, never an agreed attribute. */
const OWN_IDENTIFIERS = new Set(['recordId', 'order', 'persoon.pseudonym', 'inschrijving.inschrijvingPseudonym', 'kafka.key']);
/**
 * Shared by every recipient by design, documented as a limit (README, Privacy guarantees): the kind of
 * change, its date (timePrecision: date in both agreements), the delivery date as Kafka timestamp, and the
 * header naming the recipient (never equal between two recipients).
 */
const BY_DESIGN = new Set(['eventType', 'occurredOn', 'kafka.timestamp', 'kafka.header.recipient']);

/** Attributes both agreements list: the catalogue name, or any leaf under it (leeftijden.leeftijd under leeftijden). */
function agreedByBoth(a: Agreement, b: Agreement, attribute: string): boolean {
  if (OWN_IDENTIFIERS.has(attribute)) return false;
  const listed = (agreement: Agreement) => agreement.fields.some((field) => attribute === field || attribute.startsWith(`${field}.`));
  return listed(a) && listed(b);
}

/** Values that single out a record or person: long strings and large numbers (not dates, levels or ages). */
const identifierLike = (value: string) => value.length >= 8 || (/^\d+$/.test(value) && Number(value) >= 1_000_000);

describe('privacy: no join key between recipients', () => {
  it('given two recipients’ topics, when joined on every field, key, header and timestamp, then only attributes both agreements list match', async () => {
    const byRecipient = new Map<string, Received[]>();
    for (const a of agreements) byRecipient.set(a.recipient, await receivedBy(a.recipient));
    for (const [recipient, records] of byRecipient) expect(records.length, `${recipient} received something`).toBeGreaterThan(0);

    const violations: string[] = [];
    const agreed = new Set<string>();
    for (const [i, a] of agreements.entries()) {
      for (const b of agreements.slice(i + 1)) {
        // value -> attributes it appears under, per side
        const index = (records: Received[]) => {
          const map = new Map<string, Set<string>>();
          for (const record of records)
            for (const [attribute, value] of observables(record)) map.set(value, (map.get(value) ?? new Set()).add(attribute));
          return map;
        };
        const left = index(byRecipient.get(a.recipient)!);
        const right = index(byRecipient.get(b.recipient)!);
        for (const [value, leftAttributes] of left) {
          const rightAttributes = right.get(value);
          if (rightAttributes === undefined) continue;
          for (const la of leftAttributes) {
            for (const ra of rightAttributes) {
              if (BY_DESIGN.has(la) && BY_DESIGN.has(ra)) continue;
              if (la === ra && agreedByBoth(a, b, la)) {
                agreed.add(`${a.recipient}~${b.recipient}:${la}`);
                continue;
              }
              // the same attribute, not agreed: any shared value joins; different attributes: identifiers only
              if (la === ra || identifierLike(value)) violations.push(`${a.recipient}.${la} = ${b.recipient}.${ra}`);
            }
          }
        }
      }
    }
    expect([...new Set(violations)]).toEqual([]);
    // what the agreements themselves make linkable (documented as limits) does show up, so the join worked
    expect(agreed).toContain('sbb-stagemarkt~svb-kostendelersnorm:inschrijving.inschrijvingsvolgnummer');
    expect(agreed).toContain('ggd-jeugdgezondheid~svb-kostendelersnorm:persoon.nummer');
    expect(agreed).toContain('inspectie-onderwijs~ocw-minister:inschrijving.brin');
  });

  it('given deliver’s feed rows and API rows, versions inside them included, when compared across recipients, then they share no identifier but the agreed ones', async () => {
    // the values each recipient sees through deliver: its feed (keys, rows, timestamps) and its API rows
    const seenBy = new Map<string, Set<string>>();
    const collect = (recipient: string, node: unknown) => {
      const values = seenBy.get(recipient) ?? new Set<string>();
      const walk = (n: unknown): void => {
        if (Array.isArray(n)) n.forEach(walk);
        else if (n !== null && typeof n === 'object') Object.values(n).forEach(walk);
        else if (n !== null && n !== undefined) values.add(String(n));
      };
      walk(node);
      seenBy.set(recipient, values);
    };
    for (const [recipient, token] of [
      ['sbb-stagemarkt', tokens.sbb],
      ['svb-kostendelersnorm', tokens.svb],
      ['ggd-jeugdgezondheid', tokens.ggd],
    ] as const) {
      for (const m of await readAll(bus, admin, `${topic.feedPrefix}${recipient}.v1`)) {
        collect(recipient, [m.key?.toString(), m.value === null ? null : JSON.parse(m.value.toString())]);
      }
      const body = await (
        await fetch(`${deliver.url}/v1/${recipient}/rows?limit=1000`, { headers: { authorization: `Bearer ${token}` } })
      ).json();
      collect(recipient, body);
    }
    // and the identifiers the other recipients got on their topics (the topics themselves are joined above)
    for (const a of agreements) {
      for (const r of await receivedBy(a.recipient)) {
        collect(
          `topic:${a.recipient}`,
          observables(r)
            .filter(([attribute]) => OWN_IDENTIFIERS.has(attribute))
            .map(([, v]) => v),
        );
      }
    }
    // agreed between two of them: the person number (SVB and GGD), the institution's enrolment number (S-BB and SVB)
    const agreedValues = new Set([...people.map((p) => p.nummer), ...people.map((p) => `P${p.n}x${version % 1000}`)]);
    const shared: string[] = [];
    const names = [...seenBy.keys()];
    for (const [i, a] of names.entries()) {
      for (const b of names.slice(i + 1)) {
        if (a.replace('topic:', '') === b.replace('topic:', '')) continue;
        for (const value of seenBy.get(a)!) {
          if (!identifierLike(value) || agreedValues.has(value) || !seenBy.get(b)!.has(value)) continue;
          // the Kafka timestamp is the delivery date, shared by design
          if (/^\d{13}$/.test(value) && amsterdamDayStart(Number(value)) === Number(value)) continue;
          shared.push(`${a} ~ ${b}`);
        }
      }
    }
    expect([...new Set(shared)]).toEqual([]);
    expect(seenBy.get('sbb-stagemarkt')!.size).toBeGreaterThan(50);
  });

  it('given the Kafka timestamps of recipient records and feeds, when read, then each is the start of a day, not the production instant', async () => {
    for (const a of agreements) {
      for (const { message } of await receivedBy(a.recipient))
        expect(Number(message.timestamp)).toBe(amsterdamDayStart(Number(message.timestamp)));
    }
    for (const recipient of ['sbb-stagemarkt', 'svb-kostendelersnorm', 'ggd-jeugdgezondheid']) {
      for (const message of await readAll(bus, admin, `${topic.feedPrefix}${recipient}.v1`))
        expect(Number(message.timestamp)).toBe(amsterdamDayStart(Number(message.timestamp)));
    }
  });

  it('given the Stagemarkt projection, when read through the API, then the two changes of one day were applied in order', async () => {
    const response = await fetch(`${deliver.url}/v1/sbb-stagemarkt/rows?kind=bpv&limit=1000`, {
      headers: { authorization: `Bearer ${tokens.sbb}` },
    });
    const { rows } = (await response.json()) as { rows: { row: { omvangUren: number } }[] };
    expect(rows.length).toBe(people.filter((p) => sectorOf(p) === 'MBO').length);
    for (const { row } of rows) expect(row.omvangUren).toBe(480);
  });
});

// --- scanning everything for person data ----------------------------------------------------------------

/** Where each kind of person data may appear: the topic's class, or the recipient's agreement. */
type Finding = 'nummer' | 'naam' | 'geboortedatum';

function findingsIn(text: string, decoded: unknown, p: Person): Finding[] {
  const found = new Set<Finding>();
  if (text.includes(p.nummer)) found.add('nummer');
  if (text.includes(p.voornamen) || text.includes(p.achternaam)) found.add('naam');
  if (text.includes(p.geboortedatum)) found.add('geboortedatum');
  const epochDay = toEpochDay(p.geboortedatum);
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') Object.values(node).forEach(walk);
    else if (node === epochDay) found.add('geboortedatum');
  };
  walk(decoded);
  return [...found];
}

async function decodeAny(buffer: Buffer | null): Promise<unknown> {
  if (buffer === null) return null;
  if (buffer[0] === 0 && buffer.length > 5) {
    try {
      return await registry.decode(buffer);
    } catch {
      return null;
    }
  }
  try {
    return JSON.parse(buffer.toString('utf8'));
  } catch {
    return null;
  }
}

/** Every message of a topic as text (key, value, headers, and the decoded value) for the scan. */
async function topicTexts(name: string): Promise<{ text: string; decoded: unknown }[]> {
  const out: { text: string; decoded: unknown }[] = [];
  for (const m of await readAll(bus, admin, name)) {
    const decoded = await decodeAny(m.value);
    const headers = Object.entries(m.headers).map(([k, v]) => `${k}=${v.toString('latin1')}`);
    out.push({ text: [m.key?.toString('latin1'), m.value?.toString('latin1'), ...headers, JSON.stringify(decoded)].join('\n'), decoded });
  }
  return out;
}

describe('privacy: person data only where an agreement allows it', () => {
  it('given every topic, feed, API response and log line, when scanned for each number, name and birth date, then each appears only where allowed', async () => {
    const everything: Person[] = [...people, refused];
    // what may appear where (raw, canonical and dead letters hold the register's own data; the GGD only minors)
    const allowed = (where: string, p: Person): Finding[] => {
      if ([topic.raw, topic.rawDlq, topic.events, topic.eventsDlq].includes(where)) return ['nummer', 'naam', 'geboortedatum'];
      if (p === refused) return [];
      const ggd = [recipientTopic('ggd-jeugdgezondheid'), `${topic.feedPrefix}ggd-jeugdgezondheid.v1`, 'api:ggd-jeugdgezondheid'];
      if (ggd.includes(where)) return p.ggd ? ['nummer', 'naam', 'geboortedatum'] : [];
      const svb = [recipientTopic('svb-kostendelersnorm'), `${topic.feedPrefix}svb-kostendelersnorm.v1`, 'api:svb-kostendelersnorm'];
      if (svb.includes(where)) return ['nummer'];
      return [];
    };
    const sources = new Map<string, { text: string; decoded: unknown }[]>();
    const names = (await admin.listTopics()).filter((name) => name.startsWith(`${id}.`));
    expect(names).toEqual(expect.arrayContaining([topic.raw, topic.events, topic.audit, topic.seen, recipientTopic('ocw-minister')]));
    for (const name of names) sources.set(name, await topicTexts(name));
    for (const [recipient, token] of [
      ['sbb-stagemarkt', tokens.sbb],
      ['svb-kostendelersnorm', tokens.svb],
      ['ggd-jeugdgezondheid', tokens.ggd],
    ] as const) {
      const body = await (
        await fetch(`${deliver.url}/v1/${recipient}/rows?limit=1000`, { headers: { authorization: `Bearer ${token}` } })
      ).text();
      sources.set(`api:${recipient}`, [{ text: body, decoded: JSON.parse(body) }]);
    }
    sources.set('logs', [{ text: logLines.join(''), decoded: null }]);
    expect(logLines.length).toBeGreaterThan(10);

    const leaks: string[] = [];
    const seen = new Set<string>();
    for (const [where, items] of sources) {
      for (const p of everything) {
        const found = new Set(items.flatMap(({ text, decoded }) => findingsIn(text, decoded, p)));
        for (const finding of found) {
          seen.add(`${where}:${finding}`);
          if (!allowed(where, p).includes(finding)) leaks.push(`${where}: ${finding} of person ${p.n}`);
        }
      }
    }
    expect(leaks).toEqual([]);
    // and the allowed places do hold them, so the scan can see
    expect(seen).toContain(`${recipientTopic('ggd-jeugdgezondheid')}:naam`);
    expect(seen).toContain(`${topic.rawDlq}:nummer`);
    expect(seen).toContain('api:svb-kostendelersnorm:nummer');
  });
});

// --- crypto-shredding ---------------------------------------------------------------------------------------

describe('privacy: crypto-shredding unlinks', () => {
  it('given the Minister shredded while pseudonymise runs, when more events come and DUO’s topics are searched with every key left, then nothing maps the Minister’s identifiers back', async () => {
    const minister = await receivedBy('ocw-minister');
    const identifiers = new Set(
      minister.flatMap((r) =>
        observables(r)
          .filter(([attribute]) => OWN_IDENTIFIERS.has(attribute) && attribute !== 'order')
          .map(([, v]) => v),
      ),
    );
    expect(identifiers.size).toBeGreaterThan(minister.length);

    // the shredding procedure, as an operator runs it
    const shred = spawnSync(process.execPath, ['services/pseudonymise/src/cli/keys.ts', 'shred', 'ocw-minister', '--file', keysFile], {
      env: {
        ...process.env,
        ...base,
        AGREEMENTS_DIR: join(dir, 'agreements'),
        FEED_TOPIC_PREFIX: topic.feedPrefix,
        RECIPIENT_TOPIC_PREFIX: recipientPrefix,
      },
      encoding: 'utf8',
    });
    expect(shred.status, shred.stderr).toBe(0);
    // a fresh admin client: kafkajs keeps asking for metadata of every topic a client has used, deleted ones too
    await admin.disconnect();
    admin = await bus.admin();
    expect(JSON.parse(readFileSync(keysFile, 'utf8'))).not.toHaveProperty('ocw-minister');
    await waitFor('the Minister’s topic gone', async () =>
      (await admin.listTopics()).includes(recipientTopic('ocw-minister')) ? undefined : true,
    );

    // the running pseudonymise reads the key file again: a new MBO student reaches S-BB, not the Minister
    const late = person(50, `${thisYear - 20}-06-06`, false);
    const sbbBefore = (await receivedBy('sbb-stagemarkt')).length;
    const lateEvents = eventsOf(late, '2026-03-02');
    await publishRaw(lateEvents);
    await groupCaughtUp(admin, `${id}.ingest`, topic.raw);
    await groupCaughtUp(admin, `${id}.pseudonymise`, topic.events);
    expect((await receivedBy('sbb-stagemarkt')).length).toBe(sbbBefore + 5);
    const audit = await Promise.all((await readAll(bus, admin, topic.audit)).map((m) => registry.decode<Record<string, any>>(m.value!)));
    const lateEntries = audit.filter((entry) => lateEvents.some((e) => e.eventId === entry.eventId));
    expect(lateEntries).toHaveLength(5);
    for (const entry of lateEntries) expect(entry.deliveries.map((d: { recipient: string }) => d.recipient)).not.toContain('ocw-minister');
    expect((await admin.listTopics()).includes(recipientTopic('ocw-minister'))).toBe(false);

    // 1. no topic DUO keeps holds any of the Minister's identifiers
    const names = (await admin.listTopics()).filter((name) => name.startsWith(`${id}.`));
    for (const name of names) {
      for (const { text } of await topicTexts(name))
        for (const identifier of identifiers) expect(text.includes(identifier), name).toBe(false);
    }
    // 2. every key left, tried on every person and event of the canonical history, under the Minister's name too
    const canonicalEvents = await Promise.all(
      (await readAll(bus, admin, topic.events)).map((m) => registry.decode<RegisterEvent>(m.value!)),
    );
    const left = createKeyStore(JSON.parse(readFileSync(keysFile, 'utf8')));
    for (const recipient of left.recipients()) {
      const key = left.keyFor(recipient)!;
      const posing = { ...key, recipient: 'ocw-minister', secret: key.secret };
      for (const k of [key, posing]) {
        for (const e of canonicalEvents) {
          expect(identifiers.has(pseudonymFor(e.persoon.identificatie, k))).toBe(false);
          expect(identifiers.has(recordIdFor(e.eventId, k))).toBe(false);
          expect(
            identifiers.has(enrolmentPseudonymFor(e.persoon.identificatie, e.inschrijving.brin, e.inschrijving.inschrijvingsvolgnummer, k)),
          ).toBe(false);
        }
      }
    }
    // 3. the audit still accounts for what the Minister got before, without anything that leads back
    const toMinister = audit.filter((entry) => entry.deliveries.some((d: { recipient: string }) => d.recipient === 'ocw-minister'));
    expect(toMinister.length).toBe(minister.length);
  });
});
