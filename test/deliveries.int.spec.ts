import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Agreement, createKeyStore, generateTestKeys, loadAgreements } from '@register-feeds/pseudonymise';
import { type EpochMillis, type RegisterEvent, toEpochDay } from '@register-feeds/register-model';
import { type Admin, ProducerFencedError, topicClass } from '@register-feeds/service-kit';
import {
  type DeliveriesContext,
  type DeliveryOutcome,
  deliveryFile,
  dueDeliveries,
  pendingDeliveries,
  runDeliveries,
  type SnapshotAuditEntry,
} from '@register-feeds/snapshot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishCanonical } from './support/canonical.ts';
import { testBsn } from './support/raw-events.ts';
import { readAll, testStack, uniqueName } from './support/stack.ts';

// The snapshot delivery scheduler on the real stack (issue 11): the Minister's moments due by 9 March 2027
// are delivered once however often the scheduler runs, also when two runs overlap and after a run that died
// half-way; each delivery is audited with its legal basis, peildatum and knowledge time, and no person data.

const { bus, registry, brokers, registryUrl } = testStack();
const reviewed = loadAgreements(new URL('../agreements/', import.meta.url).pathname);
// the reviewed Minister's delivery moments, with a term from 1 Sep 2026: due by 9 Mar 2027 are 15 Nov
// (1 Oct, provisional), 8 Mar (1 Oct, provisional) and 8 Mar (1 Feb, provisional)
const minister: Agreement = {
  ...(reviewed.find((a) => a.recipient === 'ocw-minister') as Agreement),
  term: { from: toEpochDay('2026-09-01'), to: null },
};
const keyFile = generateTestKeys(['ocw-minister']);
const keys = createKeyStore(keyFile);
const NOW = Date.parse('2027-03-09T06:00:00Z');
const EXPECTED_IDS = ['ocw-minister/2026-10-01/2026-11-15', 'ocw-minister/2026-10-01/2027-03-08', 'ocw-minister/2027-02-01/2027-03-08'];

const historyTopic = uniqueName('deliveries-history');
const day = (iso: string) => toEpochDay(iso);
let eventNo = 0;
function enrolment(n: number, occurredAt: string, begindatum: string, volgnummer = '1'): RegisterEvent {
  eventNo++;
  return {
    eventId: `00000000-0000-4000-9000-${String(eventNo).padStart(12, '0')}`,
    eventType: 'InschrijvingGeregistreerd',
    occurredAt: Date.parse(occurredAt) as EpochMillis,
    sector: 'MBO',
    persoon: {
      identificatie: { soort: 'BSN', nummer: testBsn(n) },
      geboortedatum: day('2008-03-01') + n,
      naam: { voornamen: `Voornaam${n}`, voorvoegsel: null, achternaam: `Achternaam${n}` },
    },
    inschrijving: {
      brin: '25LX',
      brinVestiging: null,
      locatiecodeMbo: null,
      inschrijvingsvolgnummer: volgnummer,
      opleidingscode: '25180',
      leerweg: 'BOL',
      niveau: 4,
      leerjaar: null,
      groep: null,
      begindatum: day(begindatum),
      einddatum: null,
    },
    bpv: null,
  };
}
// three enrolments standing on 1 Oct as known on 15 Nov; a fourth registered on 20 Nov retroactively from
// 1 Sep (in the 8 Mar delivery of 1 Oct, not in the 15 Nov one); a fifth starting in January (1 Feb only)
const history = [
  enrolment(1, '2026-08-20T08:00:00Z', '2026-08-20'),
  enrolment(2, '2026-09-01T08:00:00Z', '2026-09-01'),
  enrolment(3, '2026-09-30T08:00:00Z', '2026-10-01'),
  enrolment(4, '2026-11-20T08:00:00Z', '2026-09-01'),
  enrolment(5, '2027-01-05T08:00:00Z', '2027-01-05'),
];
const personStrings = history.flatMap((e) => [e.persoon.identificatie.nummer, e.persoon.naam.voornamen, e.persoon.naam.achternaam]);

let admin: Admin;
const dir = mkdtempSync(join(tmpdir(), 'deliveries-int-'));
const createdTopics: string[] = [historyTopic];

beforeAll(async () => {
  admin = await bus.admin();
  await publishCanonical(bus, registry, historyTopic, history);
});
afterAll(async () => {
  await admin.deleteTopics(createdTopics).catch(() => {});
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

/** A scheduler context of its own: audit topic (the ledger), output directory, transactional ids, snapshot topics. */
function context(name: string, overrides: Partial<DeliveriesContext> = {}): DeliveriesContext {
  const id = uniqueName(name);
  const auditTopic = `${id}.audit`;
  createdTopics.push(auditTopic);
  return {
    bus,
    get admin() {
      return admin;
    },
    registry,
    agreements: [minister],
    keys,
    outDir: join(dir, id),
    format: 'parquet',
    historyTopic,
    auditTopic,
    snapshotTopics: false,
    snapshotTopicPrefix: `${id}.snapshot.`,
    replicationFactor: 1,
    transactionalIdPrefix: id,
    clock: Date.now,
    ...overrides,
  };
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const byStatus = (outcomes: DeliveryOutcome[], status: DeliveryOutcome['status']) =>
  outcomes
    .filter((o) => o.status === status)
    .map((o) => o.delivery.id)
    .sort();

async function ledger(ctx: DeliveriesContext) {
  const messages = await readAll(bus, admin, ctx.auditTopic);
  return Promise.all(
    messages.map(async (m) => ({
      key: m.key?.toString('utf8'),
      raw: m.value as Buffer,
      entry: await registry.decode<SnapshotAuditEntry>(m.value as Buffer),
    })),
  );
}

describe('the schedule of the test agreement', () => {
  it('has the three deliveries of the Regeling due on 9 March 2027', () => {
    expect(dueDeliveries([minister], NOW).map((d) => d.id)).toEqual(EXPECTED_IDS);
  });
});

describe('npm run deliveries, run twice', () => {
  const ctx = context('deliveries-twice', { snapshotTopics: true });
  let first: DeliveryOutcome[];
  let second: DeliveryOutcome[];

  beforeAll(async () => {
    expect((await pendingDeliveries(ctx, NOW)).pending.map((d) => d.id)).toEqual(EXPECTED_IDS);
    first = await runDeliveries(ctx, NOW);
    second = await runDeliveries(ctx, NOW);
    for (const outcome of first) if (outcome.status === 'delivered' && outcome.snapshotTopic) createdTopics.push(outcome.snapshotTopic);
  });

  it('delivers each due snapshot on the first run and nothing on the second', async () => {
    expect(byStatus(first, 'delivered')).toEqual(EXPECTED_IDS);
    expect(byStatus(second, 'already-delivered')).toEqual(EXPECTED_IDS);
    expect((await pendingDeliveries(ctx, NOW)).pending).toEqual([]);
    const entries = await ledger(ctx);
    expect(entries.map((e) => e.key).sort()).toEqual(EXPECTED_IDS);
  });

  it('writes each under its fixed path, with the checksum its audit entry names; the later knowledge time sees the late enrolment', async () => {
    const entries = await ledger(ctx);
    for (const { entry } of entries) {
      const path = join(ctx.outDir, entry.file);
      expect(entry.file).toBe(deliveryFile(dueDeliveries([minister], NOW).find((d) => d.id === entry.deliveryId)!, 'parquet'));
      expect(sha256(path)).toBe(entry.sha256);
      expect(readFileSync(path).length).toBe(entry.bytes);
    }
    const rowsOf = (id: string) => entries.find((e) => e.key === id)?.entry.rows;
    expect(rowsOf('ocw-minister/2026-10-01/2026-11-15')).toBe(3);
    expect(rowsOf('ocw-minister/2026-10-01/2027-03-08')).toBe(4);
    expect(rowsOf('ocw-minister/2027-02-01/2027-03-08')).toBe(5);
    // nothing but the delivered files is left behind (no partial files)
    const files = readdirSync(ctx.outDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.map((f) => f.name).sort()).toEqual(['2026-11-15.parquet', '2027-03-08.parquet', '2027-03-08.parquet']);
  });

  it('audits each delivery with the legal basis, purpose, peildatum, knowledge time and fields, and no person data', async () => {
    const entries = await ledger(ctx);
    const november = entries.find((e) => e.key === 'ocw-minister/2026-10-01/2026-11-15');
    expect(november?.entry).toMatchObject({
      deliveryId: 'ocw-minister/2026-10-01/2026-11-15',
      recipient: 'ocw-minister',
      legalBasis: minister.legalBasis,
      purpose: minister.purpose,
      agreementTermFrom: '2026-09-01',
      kind: 'provisional',
      peildatum: '2026-10-01',
      deliveryDate: '2026-11-15',
      format: 'parquet',
      identity: 'pseudonym',
      keyVersion: keys.keyFor('ocw-minister')?.version,
      historyTopic,
    });
    // the start of 15 Nov in Amsterdam (CET)
    expect(new Date(Number(november?.entry.knownAt)).toISOString()).toBe('2026-11-14T23:00:00.000Z');
    expect(november?.entry.fieldsSent).toContain('persoon_pseudonym');
    expect(november?.entry.fieldsSent).not.toContain('persoon_nummer');
    expect(november?.entry.historyEnds.reduce((sum, p) => sum + Number(p.offset), 0)).toBe(history.length);

    // no person data: none of the persons' numbers or names, nor the recipient's pseudonyms and record ids
    const topicRows = (await readAll(bus, admin, november?.entry.snapshotTopic as string)).map(
      (m) => JSON.parse((m.value as Buffer).toString('utf8')) as Record<string, string>,
    );
    expect(topicRows).toHaveLength(3);
    const recipientIds = topicRows.flatMap((row) => [row.persoon_pseudonym, row.recordId, row.inschrijving_inschrijvingPseudonym]);
    expect(recipientIds.every((value) => typeof value === 'string' && value.length > 8)).toBe(true);
    for (const { raw, entry } of entries) {
      const text = `${raw.toString('latin1')} ${JSON.stringify(entry)}`;
      for (const value of [...personStrings, ...recipientIds]) expect(text).not.toContain(value);
    }
  });

  it('also writes the rows to a topic per delivery, of the recipient class, in the order of the file', async () => {
    const entries = await ledger(ctx);
    for (const { entry } of entries) {
      expect(entry.snapshotTopic).toBe(`${ctx.snapshotTopicPrefix}${entry.recipient}.${entry.peildatum}.${entry.deliveryDate}`);
      const messages = await readAll(bus, admin, entry.snapshotTopic as string);
      expect(messages).toHaveLength(entry.rows);
      const keysInOrder = messages.map((m) => m.key?.toString('utf8'));
      expect(new Set(keysInOrder).size).toBe(entry.rows);
    }
    expect(topicClass('snapshot.ocw-minister.2026-10-01.2026-11-15')).toBe('recipient');
  });
});

describe('two runs at once', () => {
  it('deliver each due snapshot once between them, and a third run delivers nothing', async () => {
    const ctx = context('deliveries-overlap', { format: 'jsonl' });
    const [a, b] = await Promise.all([runDeliveries(ctx, NOW), runDeliveries({ ...ctx }, NOW)]);
    const delivered = [...byStatus(a, 'delivered'), ...byStatus(b, 'delivered')].sort();
    expect(delivered).toEqual(EXPECTED_IDS);
    // the other run saw each one delivered, or was fenced while it made it
    const others = [...a, ...b].filter((o) => o.status !== 'delivered').map((o) => o.status);
    expect(others).toHaveLength(3);
    for (const status of others) expect(['already-delivered', 'taken-over']).toContain(status);

    const entries = await ledger(ctx);
    expect(entries.map((e) => e.key).sort()).toEqual(EXPECTED_IDS);
    for (const { entry } of entries) expect(sha256(join(ctx.outDir, entry.file))).toBe(entry.sha256);
    expect(byStatus(await runDeliveries(ctx, NOW), 'already-delivered')).toEqual(EXPECTED_IDS);
  });
});

describe('a run that died half-way', () => {
  it('is fenced by the next run, which makes the same file again and records it once', async () => {
    const ctx = context('deliveries-crash', { format: 'jsonl' });
    const [firstId] = EXPECTED_IDS;
    const delivery = dueDeliveries([minister], NOW).find((d) => d.id === firstId)!;
    // the dead run had claimed the delivery and written part of its file under the final name
    const zombie = await bus.transactionalProducer(`${ctx.transactionalIdPrefix}:${firstId}`);
    const zombieTransaction = await zombie.transaction();
    const path = join(ctx.outDir, deliveryFile(delivery, 'jsonl'));
    await mkdir(dirname(path), { recursive: true });
    writeFileSync(path, '{"half":');

    const outcomes = await runDeliveries(ctx, NOW);
    expect(byStatus(outcomes, 'delivered')).toEqual(EXPECTED_IDS);
    const entries = await ledger(ctx);
    const entry = entries.find((e) => e.key === firstId)?.entry;
    expect(sha256(path)).toBe(entry?.sha256);
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);

    // the dead run, were it to wake up, can no longer record anything
    await expect(
      (async () => {
        await zombieTransaction.send([{ topic: ctx.auditTopic, key: firstId as string, value: 'stale' }]);
        await zombieTransaction.commit();
      })(),
    ).rejects.toBeInstanceOf(ProducerFencedError);
    await zombie.disconnect();
    expect((await ledger(ctx)).map((e) => e.key).sort()).toEqual(EXPECTED_IDS);
    expect(existsSync(`${path}.partial`)).toBe(false);
  });
});

describe('the command line', () => {
  it('lists what is due, delivers it once and lists nothing more; a second run says it was delivered', () => {
    const id = uniqueName('deliveries-cli');
    const agreementsDir = join(dir, `${id}-agreements`);
    mkdirSync(agreementsDir);
    // the reviewed Minister's agreement with the test's term
    const yaml = readFileSync(new URL('../agreements/ocw-minister.yaml', import.meta.url), 'utf8');
    writeFileSync(join(agreementsDir, 'ocw-minister.yaml'), yaml.replace(/from: \d{4}-\d{2}-\d{2}/, 'from: 2026-09-01'));
    writeFileSync(join(dir, `${id}-keys.json`), JSON.stringify(keyFile), { mode: 0o600 });
    createdTopics.push(`${id}.audit`);
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['tools/snapshot/src/deliveries-cli.ts', ...args, '--now', '2027-03-09T06:00:00Z'], {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          KAFKA_BROKERS: brokers.join(','),
          SCHEMA_REGISTRY_URL: registryUrl,
          AGREEMENTS_DIR: agreementsDir,
          PSEUDONYM_KEYS_FILE: join(dir, `${id}-keys.json`),
          EVENTS_TOPIC: historyTopic,
          SNAPSHOT_AUDIT_TOPIC: `${id}.audit`,
          SNAPSHOT_DELIVERIES_DIR: join(dir, `${id}-out`),
        },
      });

    const due = cli('--due');
    expect(due.status, due.stderr).toBe(0);
    expect(due.stdout).toContain('3 of 3 snapshot deliveries due at 2027-03-09T06:00:00.000Z not yet delivered:');
    for (const deliveryId of EXPECTED_IDS) expect(due.stdout).toContain(deliveryId);

    const run = cli('--run', '--format', 'jsonl');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('3 delivered, 0 already delivered, 0 taken over by another run, 0 failed');
    expect(run.stdout).toMatch(/delivered +ocw-minister\/2026-10-01\/2026-11-15: 3 rows, ocw-minister\/2026-10-01\/2026-11-15\.jsonl/);
    expect(existsSync(join(dir, `${id}-out`, 'ocw-minister/2027-02-01/2027-03-08.jsonl'))).toBe(true);

    expect(cli('--due').stdout).toContain('0 of 3 snapshot deliveries due');
    const again = cli('--run', '--format', 'jsonl');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('0 delivered, 3 already delivered');
    // no person data on stdout or stderr
    for (const value of personStrings) expect(`${run.stdout}${run.stderr}${again.stdout}`).not.toContain(value);
  });

  it('given a mistake on the command line, then it says what is wrong and exits 2, without a stack trace', () => {
    const result = spawnSync(process.execPath, ['tools/snapshot/src/deliveries-cli.ts', '--run', '--now', 'tomorrow'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      "deliveries: option '--now <instant>' argument 'tomorrow' is invalid. must be an ISO instant with offset, e.g. 2026-11-15T06:00:00Z (see --help)\n",
    );
  });
});
