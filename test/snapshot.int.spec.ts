import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  type Agreement,
  applyAgreement,
  createKeyStore,
  enrolmentPseudonymFor,
  generateTestKeys,
  loadAgreements,
  type RecipientKey,
} from '@register-feeds/pseudonymise';
import type { RegisterEvent } from '@register-feeds/register-model';
import type { Admin } from '@register-feeds/service-kit';
import { readColumnComments, writeSnapshot } from '@register-feeds/snapshot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishCanonical } from './support/canonical.ts';
import { bsn, day, enrolmentEvent } from './support/enrolment-events.ts';
import { readJsonl } from './support/jsonl.ts';
import { testStack, uniqueName } from './support/stack.ts';

// Peildatum snapshots on the real stack (issue 11): a hand-made canonical history around 1 October 2026,
// snapshotted as the register knew it on 15 November (provisional) and on 8 July (definitive). Each row
// must be the stream's record (applyAgreement, same key) of the enrolment's latest known event.

const { bus, registry, brokers, registryUrl } = testStack();
const agreements = loadAgreements(new URL('../agreements/', import.meta.url).pathname);
const minister = agreements.find((a) => a.recipient === 'ocw-minister') as Agreement;
const keyFile = generateTestKeys(['ocw-minister']);
const key = createKeyStore(keyFile).keyFor('ocw-minister') as RecipientKey;
const topic = uniqueName('snapshot-history');
const PEILDATUM = '2026-10-01';
const PROVISIONAL = new Date('2026-11-15T00:00:00Z');
const DEFINITIVE = new Date('2027-07-08T00:00:00Z');

// The history, in the order the register recorded it per person. Persons by letter:
const A = 1; // starts the day before the peildatum: in
const B = 2; // starts on the peildatum: in
const C = 3; // starts the day after: out
const D = 4; // ended on 30 September: out
const E = 5; // registered as starting 1 Aug; a correction on 20 Jan moves the start to 5 Oct: in on 15 Nov, out on 8 Jul
const F = 6; // registered as starting 10 Oct; a correction on 1 Feb moves it to 1 Sep: out on 15 Nov, in on 8 Jul
const G = 7; // registered, then removed (Verwijderd): never existed, out
const H = 8; // two changes on one day (10:00 niveau 3, 14:00 niveau 2): the later one counts
const I = 9; // two changes at the same instant: the later in the topic counts
const J = 10; // a VO enrolment: stands, but the Minister's agreement is MBO only
const K = 11; // registered on 20 Nov, retroactively from 1 Sep: out on 15 Nov, in on 8 Jul
const L = 12; // a BPV event after the enrolment ended does not bring it back

const history: RegisterEvent[] = [
  enrolmentEvent(A, 'InschrijvingGeregistreerd', '2026-09-29T08:00:00Z', { begindatum: day('2026-09-30') }),
  enrolmentEvent(B, 'InschrijvingGeregistreerd', '2026-09-29T08:00:00Z', { begindatum: day('2026-10-01') }),
  enrolmentEvent(C, 'InschrijvingGeregistreerd', '2026-09-29T08:00:00Z', { begindatum: day('2026-10-02') }),
  enrolmentEvent(D, 'InschrijvingGeregistreerd', '2026-08-02T08:00:00Z'),
  enrolmentEvent(D, 'InschrijvingBeeindigd', '2026-10-03T08:00:00Z', { einddatum: day('2026-09-30') }),
  enrolmentEvent(E, 'InschrijvingGeregistreerd', '2026-08-15T08:00:00Z'),
  enrolmentEvent(E, 'InschrijvingGewijzigd', '2027-01-20T10:00:00Z', { begindatum: day('2026-10-05') }),
  enrolmentEvent(F, 'InschrijvingGeregistreerd', '2026-09-01T08:00:00Z', { begindatum: day('2026-10-10') }),
  enrolmentEvent(F, 'InschrijvingGewijzigd', '2027-02-01T10:00:00Z', { begindatum: day('2026-09-01') }),
  enrolmentEvent(G, 'InschrijvingGeregistreerd', '2026-08-10T08:00:00Z'),
  enrolmentEvent(G, 'InschrijvingVerwijderd', '2026-09-15T08:00:00Z'),
  enrolmentEvent(H, 'InschrijvingGeregistreerd', '2026-08-10T08:00:00Z'),
  enrolmentEvent(H, 'InschrijvingGewijzigd', '2026-09-20T08:00:00Z', { niveau: 3 }),
  enrolmentEvent(H, 'InschrijvingGewijzigd', '2026-09-20T12:00:00Z', { niveau: 2 }),
  enrolmentEvent(I, 'InschrijvingGeregistreerd', '2026-08-10T08:00:00Z'),
  enrolmentEvent(I, 'InschrijvingGewijzigd', '2026-09-21T09:00:00Z', { niveau: 3 }),
  enrolmentEvent(I, 'InschrijvingGewijzigd', '2026-09-21T09:00:00Z', { niveau: 1 }),
  enrolmentEvent(J, 'InschrijvingGeregistreerd', '2026-08-10T08:00:00Z', {}, 'VO'),
  enrolmentEvent(K, 'InschrijvingGeregistreerd', '2026-11-20T08:00:00Z', { begindatum: day('2026-09-01') }),
  enrolmentEvent(L, 'InschrijvingGeregistreerd', '2026-08-10T08:00:00Z'),
  enrolmentEvent(L, 'InschrijvingBeeindigd', '2026-09-10T08:00:00Z', { einddatum: day('2026-09-10') }),
  { ...enrolmentEvent(L, 'BpvGeregistreerd', '2026-09-25T08:00:00Z'), bpv: bpvOf() },
];

function bpvOf(): RegisterEvent['bpv'] {
  return {
    bpvVolgnummer: 1,
    leerbedrijf: { id: '100000001', naam: 'Leerbedrijf' },
    opleidingscodeBpv: '25180',
    codeKeuzedeel: null,
    begindatum: day('2026-09-25'),
    geplandeEinddatum: day('2027-01-31'),
    werkelijkeEinddatum: null,
    omvangUren: 400,
  };
}

/** The recipient's pseudonym of person n's enrolment: how a row is found. */
const enrolmentOf = (n: number) => enrolmentPseudonymFor({ soort: 'BSN', nummer: bsn(n) }, '25LX', '1', key);
/** The last event of person n in the history known at an instant. */
const latestOf = (n: number, knownAt: Date) =>
  history
    .filter((e) => e.persoon.identificatie.nummer === bsn(n) && e.eventType.startsWith('Inschrijving') && e.occurredAt <= knownAt.getTime())
    .at(-1) as RegisterEvent;

let admin: Admin;
let dir: string;

beforeAll(async () => {
  admin = await bus.admin();
  dir = mkdtempSync(join(tmpdir(), 'snapshot-int-'));
  await publishCanonical(bus, registry, topic, history);
});
afterAll(async () => {
  await admin.deleteTopics([topic]).catch(() => {});
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

/** The Minister's 1 October snapshot of the history as known at `knownAt`, but for where it goes. */
const snapshotOf = (knownAt: Date) => ({
  bus,
  admin,
  registry,
  agreement: minister,
  key,
  peildatum: PEILDATUM,
  knownAt,
  historyTopic: topic,
});

async function snapshotRows(knownAt: Date, name: string) {
  const written = await writeSnapshot({ ...snapshotOf(knownAt), out: join(dir, name), format: 'jsonl' });
  return { written, rows: readJsonl(written.path) };
}

describe('snapshot of the Minister on 1 October 2026', () => {
  let provisional: Awaited<ReturnType<typeof snapshotRows>>;
  let definitive: Awaited<ReturnType<typeof snapshotRows>>;

  beforeAll(async () => {
    provisional = await snapshotRows(PROVISIONAL, 'provisional.jsonl');
    definitive = await snapshotRows(DEFINITIVE, 'definitive.jsonl');
  });

  it('provisional (known at 15 Nov): the day before and on 1 October in, the day after and ended 30 Sep out, the correction not yet known', () => {
    const got = provisional.rows.map((row) => row.inschrijving_inschrijvingPseudonym);
    expect(new Set(got)).toEqual(new Set([A, B, E, H, I].map(enrolmentOf)));
    expect(got).toHaveLength(5);
    expect(provisional.written.snapshot.counts).toMatchObject({
      records: history.length,
      undecodable: 0,
      standing: 6, // J too, which the agreement leaves out
      rows: 5,
      withheld: 1,
      laterEvents: 3, // E's and F's corrections, K's registration
    });
  });

  it('definitive (known at 8 Jul): the late corrections and the late registration count', () => {
    const got = definitive.rows.map((row) => row.inschrijving_inschrijvingPseudonym);
    expect(new Set(got)).toEqual(new Set([A, B, F, H, I, K].map(enrolmentOf)));
    expect(definitive.written.snapshot.counts).toMatchObject({ rows: 6, withheld: 1, laterEvents: 0 });
  });

  it('each row is the stream record of the latest known event: same pseudonyms and record id, ages on the peildatum', () => {
    for (const [snapshot, knownAt] of [
      [provisional, PROVISIONAL],
      [definitive, DEFINITIVE],
    ] as const) {
      for (const row of snapshot.rows) {
        const n = [A, B, E, F, H, I, K].find((p) => enrolmentOf(p) === row.inschrijving_inschrijvingPseudonym) as number;
        const event = latestOf(n, knownAt);
        const stream = applyAgreement(event, minister, key, knownAt.getTime());
        expect(stream).not.toBeNull();
        const record = stream?.record as { recordId: string; persoon: { pseudonym: string }; inschrijving: Record<string, unknown> };
        expect(row.recordId).toBe(record.recordId);
        expect(row.persoon_pseudonym).toBe(record.persoon.pseudonym);
        expect(row.inschrijving_inschrijvingPseudonym).toBe(record.inschrijving.inschrijvingPseudonym);
        expect(row.inschrijving_niveau).toBe(record.inschrijving.niveau);
        expect(row.eventType).toBe(event.eventType);
        // born a few days after 1 Oct 2008: 17 on 1 Aug, 30 Sep and 1 Oct 2026, 18 on 31 Dec 2026, whenever the event was
        expect([row.leeftijd_op_1_augustus, row.leeftijd_op_30_september, row.leeftijd_op_1_oktober, row.leeftijd_op_31_december]).toEqual([
          17, 17, 17, 18,
        ]);
        expect(row.peildatum).toBe(PEILDATUM);
        expect(row.known_at).toBe(knownAt.toISOString());
      }
    }
  });

  it('two changes on one day: the later counts; at the same instant, the later in the topic', () => {
    const row = (n: number) => provisional.rows.find((r) => r.inschrijving_inschrijvingPseudonym === enrolmentOf(n));
    expect(row(H)).toMatchObject({ inschrijving_niveau: 2, occurredOn: '2026-09-20', eventType: 'InschrijvingGewijzigd' });
    expect(row(I)).toMatchObject({ inschrijving_niveau: 1, occurredOn: '2026-09-21' });
  });

  it('rows hold no person number, name or birth date', () => {
    const text = readFileSync(provisional.written.path, 'utf8');
    for (const n of [A, B, E, H, I]) expect(text).not.toContain(bsn(n));
    expect(text).not.toContain('Achternaam');
    expect(text).not.toContain('geboortedatum');
  });

  it('Parquet (the default): the same rows, the same bytes twice, the column docs kept', async () => {
    const options = snapshotOf(PROVISIONAL);
    const first = await writeSnapshot({ ...options, out: join(dir, 'first.parquet') });
    const second = await writeSnapshot({ ...options, out: join(dir, 'second.parquet') });
    expect(first.format).toBe('parquet');
    expect(first.rows).toBe(5);
    expect(second.sha256).toBe(first.sha256);
    expect(readFileSync(second.path).equals(readFileSync(first.path))).toBe(true);

    const instance = await DuckDBInstance.create(':memory:');
    try {
      const connection = await instance.connect();
      const reader = await connection.runAndReadAll(
        `SELECT recordId, inschrijving_inschrijvingPseudonym, inschrijving_niveau, CAST(inschrijving_begindatum AS VARCHAR), leeftijd_op_1_oktober FROM read_parquet('${first.path}')`,
      );
      expect(reader.getRows()).toEqual(
        provisional.rows.map((row) => [
          row.recordId,
          row.inschrijving_inschrijvingPseudonym,
          row.inschrijving_niveau,
          row.inschrijving_begindatum,
          row.leeftijd_op_1_oktober,
        ]),
      );
      connection.closeSync();
    } finally {
      instance.closeSync();
    }
    const comments = await readColumnComments(first.path);
    expect(comments.inschrijving_brin).toBe('BRIN of the institution.');
    expect(comments.leeftijd_op_1_oktober).toContain('2026-10-01');
  });

  it('the command line gives the same bytes, and prints counts, the checksum, time and peak RSS', () => {
    const keysPath = join(dir, 'keys.json');
    writeFileSync(keysPath, JSON.stringify(keyFile), { mode: 0o600 });
    const out = join(dir, 'cli.jsonl');
    const cli = spawnSync(
      process.execPath,
      [
        'tools/snapshot/src/cli.ts',
        '--recipient',
        'ocw-minister',
        '--peildatum',
        PEILDATUM,
        '--known-at',
        '2026-11-15T01:00:00+01:00',
        '--out',
        out,
        '--format',
        'jsonl',
      ],
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          KAFKA_BROKERS: brokers.join(','),
          SCHEMA_REGISTRY_URL: registryUrl,
          EVENTS_TOPIC: topic,
          PSEUDONYM_KEYS_FILE: keysPath,
        },
        timeout: 60_000,
      },
    );
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`sha256    ${provisional.written.sha256}`);
    expect(cli.stdout).toMatch(/rows +5 \(of \d+ enrolments, 6 stood on the peildatum, 1 left out by the agreement\)/);
    expect(cli.stdout).toMatch(/peak RSS \d+ MB/);
    expect(readFileSync(out).equals(readFileSync(provisional.written.path))).toBe(true);
  });

  it('the command line refuses a date that does not exist, in one line pointing at --help, no stack', () => {
    const cli = spawnSync(process.execPath, ['tools/snapshot/src/cli.ts', '--recipient', 'ocw-minister', '--peildatum', '2026-02-30'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(cli.status).toBe(2);
    expect(cli.stderr).toBe(
      "snapshot: option '--peildatum <YYYY-MM-DD>' argument '2026-02-30' is invalid. must be an existing date YYYY-MM-DD (see --help)\n",
    );
  });
});
