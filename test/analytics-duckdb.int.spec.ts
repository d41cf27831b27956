import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { rawEvent } from '@register-feeds/deliver/test-support';
import {
  type Agreement,
  applyAgreement,
  createKeyStore,
  generateTestKeys,
  loadAgreements,
  type RecipientKey,
  recipientSchema,
} from '@register-feeds/pseudonymise';
import type { RegisterEvent } from '@register-feeds/register-model';
import { type Admin, valueSubject } from '@register-feeds/service-kit';
import { ExportRefused, exportTopic, writeSnapshot } from '@register-feeds/snapshot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonical, publishCanonical } from './support/canonical.ts';
import { testBsn } from './support/raw-events.ts';
import { createTopics, testStack, uniqueName } from './support/stack.ts';

// The analytics of docs/analytics.md on the real stack and a real DuckDB: a Minister's peildatum snapshot
// made from a canonical history, and an export of S-BB Stagemarkt records from a recipient topic, then the
// very SQL blocks of the doc (parsed out of the markdown) run against the two files, results asserted.

const DOC = readFileSync(new URL('../docs/analytics.md', import.meta.url), 'utf8');
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const { bus, registry, brokers, registryUrl } = testStack();
const agreements = loadAgreements(new URL('../agreements/', import.meta.url).pathname);
const agreement = (recipient: string) => agreements.find((a) => a.recipient === recipient) as Agreement;
const minister = agreement('ocw-minister');
const sbb = agreement('sbb-stagemarkt');
const keys = createKeyStore(generateTestKeys(['ocw-minister', 'sbb-stagemarkt']));
const keyOf = (recipient: string) => keys.keyFor(recipient) as RecipientKey;

/** The doc's runnable queries: each ```sql block right after a `<!-- query: name -->` line. */
function docQueries(markdown: string): Map<string, string> {
  const queries = new Map<string, string>();
  for (const match of markdown.matchAll(/<!-- query: ([\w-]+) -->\s*```sql\n([\s\S]*?)```/g)) {
    queries.set(match[1] as string, (match[2] as string).trim());
  }
  return queries;
}

/** SQL as a query, not as text: comment lines and spacing aside. */
const sqlText = (sql: string) =>
  sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();

/**
 * The README's queries: every ```sql block of its section "## Analytics with SQL (Parquet, DuckDB)", each with
 * the name of the doc's query it is (the README shows a few, the doc explains and names them all). A README
 * query that is none of the doc's has no asserted result here: it is said, and fails the test that runs them.
 */
function readmeQueries(markdown: string, docs: Map<string, string>): Array<{ sql: string; docName: string | undefined }> {
  const section = /^## Analytics with SQL \(Parquet, DuckDB\)$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(markdown)?.[1];
  if (section === undefined) throw new Error('README.md has no section "## Analytics with SQL (Parquet, DuckDB)"');
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((match) => {
    const sql = (match[1] as string).trim();
    const docName = [...docs].find(([, doc]) => sqlText(doc) === sqlText(sql))?.[0];
    return { sql, docName };
  });
}

let eventNo = 0;
/** A canonical event at a time of day (Amsterdam, winter time): rawEvent's, with its own instant and id. */
function event(options: Parameters<typeof rawEvent>[0] & { time?: string }): RegisterEvent {
  eventNo++;
  // no nine digits in a row: ingest refuses an id that could carry a BSN
  const raw = rawEvent({ ...options, eventId: `analytics-${eventNo}-${randomUUID().slice(0, 8).replace(/\d/g, 'a')}` });
  raw.occurredAt = `${options.on}T${options.time ?? '09:00'}:00+01:00`;
  return canonical(raw);
}

// Minister: four enrolments stand on 1 October 2026 (two at 25LX niveau 4, one at 25LX niveau 2, one at 30AB
// niveau 3, that student 17 then); one starts on 2 October, one ended on 30 September.
const PEILDATUM = '2026-10-01';
const KNOWN_AT = new Date('2026-11-15T00:00:00Z');
function ministerHistory(): RegisterEvent[] {
  const enrolment = (n: number, brin: string, niveau: number, extra: Record<string, unknown> = {}) => ({
    brin,
    niveau,
    inschrijvingsvolgnummer: `M${n}`,
    begindatum: '2026-08-01',
    ...extra,
  });
  return [
    event({
      eventId: '',
      eventType: 'InschrijvingGeregistreerd',
      on: '2026-07-01',
      bsn: testBsn(101),
      inschrijving: enrolment(1, '25LX', 4),
    }),
    event({
      eventId: '',
      eventType: 'InschrijvingGeregistreerd',
      on: '2026-07-01',
      bsn: testBsn(102),
      inschrijving: enrolment(2, '25LX', 4),
    }),
    event({
      eventId: '',
      eventType: 'InschrijvingGeregistreerd',
      on: '2026-07-02',
      bsn: testBsn(103),
      inschrijving: enrolment(3, '25LX', 2),
    }),
    event({
      eventId: '',
      eventType: 'InschrijvingGeregistreerd',
      on: '2026-07-02',
      bsn: testBsn(104),
      geboortedatum: '2009-01-01',
      inschrijving: enrolment(4, '30AB', 3),
    }),
    event({
      eventId: '',
      eventType: 'InschrijvingGeregistreerd',
      on: '2026-09-15',
      bsn: testBsn(105),
      inschrijving: enrolment(5, '30AB', 3, { begindatum: '2026-10-02' }),
    }),
    event({
      eventId: '',
      eventType: 'InschrijvingGeregistreerd',
      on: '2026-07-03',
      bsn: testBsn(106),
      inschrijving: enrolment(6, '25LX', 4),
    }),
    event({
      eventId: '',
      eventType: 'InschrijvingBeeindigd',
      on: '2026-09-30',
      bsn: testBsn(106),
      inschrijving: enrolment(6, '25LX', 4, { einddatum: '2026-09-30' }),
    }),
  ];
}

// S-BB Stagemarkt: BPVs at two leerbedrijven. LB1: person 1's and person 4's current, person 2's ended, and
// person 5's ended on the day it was registered (two changes on one day, the later one written first); LB2:
// person 3's first BPV removed (the removal carries no leerbedrijf), its second current.
const LB1 = { id: 'LB1000', naam: 'Bakkerij De Korst' };
const LB2 = { id: 'LB2000', naam: 'Garage Van Dijk' };
function stagemarktHistory(): RegisterEvent[] {
  const bpv = (n: number, extra: Record<string, unknown>) => ({ bsn: testBsn(200 + n), ...extra });
  return [
    event({ eventId: '', eventType: 'InschrijvingGeregistreerd', on: '2025-08-01', ...bpv(1, {}) }),
    event({ eventId: '', eventType: 'BpvGeregistreerd', on: '2025-09-01', ...bpv(1, { bpv: { leerbedrijf: LB1 } }) }),
    event({ eventId: '', eventType: 'BpvGeregistreerd', on: '2025-09-01', ...bpv(2, { bpv: { leerbedrijf: LB1 } }) }),
    event({
      eventId: '',
      eventType: 'BpvBeeindigd',
      on: '2025-12-01',
      ...bpv(2, { bpv: { leerbedrijf: LB1, werkelijkeEinddatum: '2025-11-30' } }),
    }),
    event({ eventId: '', eventType: 'BpvGeregistreerd', on: '2025-09-02', ...bpv(3, { bpv: { leerbedrijf: LB2 } }) }),
    event({ eventId: '', eventType: 'BpvVerwijderd', on: '2025-09-03', ...bpv(3, {}) }),
    event({ eventId: '', eventType: 'BpvGeregistreerd', on: '2025-09-04', ...bpv(3, { bpv: { bpvVolgnummer: 2, leerbedrijf: LB2 } }) }),
    event({ eventId: '', eventType: 'BpvGeregistreerd', on: '2025-09-05', ...bpv(4, { bpv: { leerbedrijf: LB1 } }) }),
    event({
      eventId: '',
      eventType: 'BpvBeeindigd',
      on: '2025-10-06',
      time: '15:00',
      ...bpv(5, { bpv: { leerbedrijf: LB1, werkelijkeEinddatum: '2025-10-06' } }),
    }),
    event({ eventId: '', eventType: 'BpvGeregistreerd', on: '2025-10-06', time: '09:00', ...bpv(5, { bpv: { leerbedrijf: LB1 } }) }),
  ];
}

/** Produces the recipient's records of the events to a topic of the test's own, keyed by pseudonym like the stream. */
async function publishRecipient(recipient: Agreement, topic: string, events: RegisterEvent[]): Promise<number> {
  const schemaId = await registry.register(valueSubject(topic), recipientSchema(recipient) as never, 'BACKWARD_TRANSITIVE');
  const messages = await Promise.all(
    events.map(async (e) => {
      // delivered on the day of the change, or when the agreement's term began if later
      const made = applyAgreement(e, recipient, keyOf(recipient.recipient), Math.max(e.occurredAt, Date.UTC(2025, 7, 1, 12)));
      if (made === null) throw new Error(`${recipient.recipient} gets no record of ${e.eventType}`);
      const record = made.record as { persoon: { pseudonym: string } };
      return { topic, key: record.persoon.pseudonym, value: await registry.encode(schemaId, made.record) };
    }),
  );
  const producer = await bus.producer();
  await producer.send(messages);
  await producer.disconnect();
  return messages.length;
}

async function query(dir: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    // the doc names the files relative to where the analyst is: here, the test's folder
    await connection.run(`SET file_search_path = '${dir}'`);
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('analytics on Parquet files, with the queries of docs/analytics.md', () => {
  const historyTopic = uniqueName('analytics-history');
  const stagemarktTopic = uniqueName('analytics-stagemarkt');
  const ministerTopic = uniqueName('analytics-minister');
  const queries = docQueries(DOC);
  const readme = readmeQueries(README, queries);
  let admin: Admin;
  let dir: string;
  let produced = 0;
  let exportSha = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'analytics-'));
    admin = await bus.admin();
    await createTopics(admin, { name: stagemarktTopic, partitions: 3 }, { name: ministerTopic, partitions: 3 });
    const history = ministerHistory();
    await publishCanonical(bus, registry, historyTopic, history);
    await publishRecipient(minister, ministerTopic, history);
    produced = await publishRecipient(sbb, stagemarktTopic, stagemarktHistory());

    await writeSnapshot({
      bus,
      admin,
      registry,
      agreement: minister,
      key: keyOf('ocw-minister'),
      peildatum: PEILDATUM,
      knownAt: KNOWN_AT,
      historyTopic,
      out: join(dir, 'minister-2026-10-01.parquet'),
    });
    const exported = await exportTopic({
      bus,
      admin,
      registry,
      registryUrl,
      topic: stagemarktTopic,
      out: join(dir, 'stagemarkt.parquet'),
      agreement: sbb,
    });
    expect(exported.rows).toBe(produced);
    exportSha = exported.sha256;
    const stream = await exportTopic({
      bus,
      admin,
      registry,
      registryUrl,
      topic: ministerTopic,
      out: join(dir, 'minister-stream.parquet'),
      agreement: minister,
    });
    expect(stream.rows).toBe(history.length);
  });

  afterAll(async () => {
    await admin?.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the queries in the doc', () => {
    expect([...queries.keys()].sort()).toEqual([
      'bpvs-per-status-per-leerbedrijf',
      'column-comments',
      'enrolments-per-brin-niveau',
      'enrolments-per-brin-niveau-from-stream',
      'under-18-per-brin',
    ]);
  });

  it("runs the README's queries: each is one of the doc's (tested with its result below) and gives that result on the same files", async () => {
    expect(readme.length).toBeGreaterThan(0);
    for (const { sql, docName } of readme) {
      expect(docName, `README query not in docs/analytics.md (add it there under a <!-- query: name --> line):\n${sql}`).toBeDefined();
      const result = await query(dir, sql);
      expect(result.length).toBeGreaterThan(0);
      expect(result).toEqual(await query(dir, queries.get(docName as string) as string));
    }
  });

  it("counts the Minister's enrolments per BRIN and niveau on the peildatum", async () => {
    expect(await query(dir, queries.get('enrolments-per-brin-niveau') as string)).toEqual([
      { peildatum: PEILDATUM, brin: '25LX', niveau: 2, inschrijvingen: '1' },
      { peildatum: PEILDATUM, brin: '25LX', niveau: 4, inschrijvingen: '2' },
      { peildatum: PEILDATUM, brin: '30AB', niveau: 3, inschrijvingen: '1' },
    ]);
  });

  it("gives the same count from an export of the Minister's stream as from its snapshot", async () => {
    const fromSnapshot = await query(dir, queries.get('enrolments-per-brin-niveau') as string);
    expect(fromSnapshot).toHaveLength(3);
    expect(await query(dir, queries.get('enrolments-per-brin-niveau-from-stream') as string)).toEqual(fromSnapshot);
  });

  it('counts the students under 18 on 1 October per BRIN', async () => {
    expect(await query(dir, queries.get('under-18-per-brin') as string)).toEqual([{ brin: '30AB', studenten_onder_18: '1' }]);
  });

  it("counts S-BB's BPVs per status per leerbedrijf from the export: the latest record of each BPV, in the recipient's order", async () => {
    expect(await query(dir, queries.get('bpvs-per-status-per-leerbedrijf') as string)).toEqual([
      { leerbedrijf_id: LB1.id, leerbedrijf_naam: LB1.naam, status: 'actueel', bpvs: '2' },
      { leerbedrijf_id: LB1.id, leerbedrijf_naam: LB1.naam, status: 'beeindigd', bpvs: '2' },
      { leerbedrijf_id: LB2.id, leerbedrijf_naam: LB2.naam, status: 'actueel', bpvs: '1' },
      { leerbedrijf_id: LB2.id, leerbedrijf_naam: LB2.naam, status: 'verwijderd', bpvs: '1' },
    ]);
  });

  it("reads the columns' comments back from the export", async () => {
    const comments = new Map(
      (await query(dir, queries.get('column-comments') as string)).map((r) => [r.column_name as string, r.comment as string]),
    );
    expect(comments.get('bpv_status')).toMatch(/actueel/);
    expect(comments.get('kafka_offset')).toMatch(/offset/);
    expect(comments.get('inschrijving_brin')).toBe(
      (recipientSchema(sbb) as { fields: Array<{ name: string; type: { fields?: Array<{ name: string; doc: string }> } }> }).fields
        .find((f) => f.name === 'inschrijving')
        ?.type.fields?.find((f) => f.name === 'brin')?.doc,
    );
  });

  it('exports the same topic to the same bytes, through the command line too', () => {
    const out = join(dir, 'again.parquet');
    const run = spawnSync(
      process.execPath,
      ['tools/snapshot/src/export-cli.ts', '--topic', stagemarktTopic, '--recipient', 'sbb-stagemarkt', '--out', out, '--quiet'],
      {
        cwd: new URL('..', import.meta.url).pathname,
        env: { ...process.env, KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl },
        encoding: 'utf8',
      },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`rows      ${produced} (0 tombstones and 0 undecodable records left out)`);
    expect(run.stdout).toContain(`sha256    ${exportSha}`);
  });

  it('refuses canonical events: by class, and a copy under another name even with a recipient named (by its schema)', async () => {
    const out = join(dir, 'refused.parquet');
    await expect(exportTopic({ bus, admin, registry, registryUrl, topic: 'register.events.v1', out })).rejects.toThrow(
      /register\.events\.v1 is a canonical topic/,
    );
    await expect(exportTopic({ bus, admin, registry, registryUrl, topic: historyTopic, out })).rejects.toThrow(
      /not in the topic catalogue/,
    );
    const copy = exportTopic({ bus, admin, registry, registryUrl, topic: historyTopic, out, agreement: sbb });
    await expect(copy).rejects.toBeInstanceOf(ExportRefused);
    await expect(copy).rejects.toThrow(/holds nl\.onderwijs\.register\.v1\.RegisterEvent records, not a recipient's records/);
    // nothing written
    expect(() => readFileSync(out)).toThrow();
  });
});
