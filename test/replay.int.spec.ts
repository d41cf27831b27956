import { spawnSync } from 'node:child_process';
import { createHash, createSecretKey, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawPersonKey } from '@register-feeds/contracts';
import { createPartitionKey } from '@register-feeds/ingest';
import {
  exportTopic,
  GroupActiveError,
  importFile,
  PersonDataRefused,
  type ReplayContext,
  replayTopic,
  resetGroup,
} from '@register-feeds/replay';
import {
  type Admin,
  type ConsumedMessage,
  createDeadLetterWriter,
  loadAvroSchema,
  type OutgoingMessage,
  topicClass,
  valueSubject,
} from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonical } from './support/canonical.ts';
import { rawEvents } from './support/raw-events.ts';
import { readAll as readAllFrom, testStack, uniqueName, waitFor } from './support/stack.ts';

// The replay tool on the real stack: an export imported elsewhere is the same topic, record for record;
// a topic whose class holds person data (or that the catalogue does not know) is refused unless allowed,
// and a rekeyed copy carries none of its persons, not even inside a dead letter's original bytes.

const { bus, registry, brokers, registryUrl } = testStack();
const ctx: ReplayContext = { bus, registry, brokers, stderr: () => {}, stdout: () => {}, tty: false };
let admin: Admin;
let dir: string;

beforeAll(async () => {
  admin = await bus.admin();
  dir = mkdtempSync(join(tmpdir(), 'replay-int-'));
});
afterAll(async () => {
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const readAll = (topic: string) => readAllFrom(bus, admin, topic);

async function produce(topic: string, partitions: number, messages: OutgoingMessage[]) {
  await admin.ensureTopics([{ name: topic, partitions, replicationFactor: 1 }]);
  const producer = await bus.producer();
  await producer.send(messages);
  await producer.disconnect();
}

/** The replay command line against the test stack. */
function runCli(args: string[]) {
  return spawnSync(process.execPath, ['tools/replay/src/cli.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl },
    timeout: 60_000,
  });
}

/** Per partition, in offset order, what must survive a copy. */
function byPartition(messages: ConsumedMessage[]) {
  const out = new Map<number, Array<{ key: string | null; value: string | null; headers: Record<string, string> }>>();
  for (const m of [...messages].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))) {
    const list = out.get(m.partition) ?? [];
    list.push({
      key: m.key?.toString('base64') ?? null,
      value: m.value?.toString('base64') ?? null,
      headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, v.toString('base64')])),
    });
    out.set(m.partition, list);
  }
  return out;
}

/** 200 records without person data on 3 partitions: JSON, binary, text and tombstones, with keys and headers. */
function mixedRecords(topic: string): OutgoingMessage[] {
  return Array.from({ length: 200 }, (_, i): OutgoingMessage => {
    const kind = i % 4;
    const value =
      kind === 0
        ? Buffer.from(JSON.stringify({ n: i, text: 'hallo', nested: { ok: true } }))
        : kind === 1
          ? Buffer.from([0xfe, i & 0xff, 0x00, 0xff, 0x80])
          : kind === 2
            ? Buffer.from(`plain text ${i}`)
            : null;
    return {
      topic,
      partition: i % 3,
      key: i % 10 === 0 ? null : `key-${i % 17}`,
      value,
      headers: { trace: `t-${i}`, bin: Buffer.from([i & 0xff, 0, 255]) },
    };
  });
}

async function publishRawEvents(topic: string, persons: number) {
  const lines = rawEvents({ persons, eventsPerPerson: 3, idPrefix: 'r' }).map((e) => JSON.stringify(e));
  await produce(
    topic,
    3,
    lines.map((line) => ({ topic, key: rawPersonKey(line), value: line, headers: { source: 'register' } })),
  );
  return rawEvents({ persons, eventsPerPerson: 3, idPrefix: 'r' }) as Array<{
    eventId: string;
    persoon: { bsn: string; naam: { achternaam: string } };
  }>;
}

describe('replay tool', () => {
  it('exports a topic and imports it into a fresh one: same keys, values, headers and order per partition', async () => {
    const source = uniqueName('replay-src');
    const target = uniqueName('replay-dst');
    await produce(source, 3, mixedRecords(source));
    const out = join(dir, 'round-trip.jsonl');

    // a test topic is not in the catalogue: only allowed explicitly is it copied as it is
    const exported = await exportTopic(ctx, { topic: source, out, allowPersonalData: true });
    expect(exported.records).toBe(200);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(200);
    for (const p of [0, 1, 2]) {
      const offsets = lines.map((l) => JSON.parse(l) as { partition: number; offset: string }).filter((l) => l.partition === p);
      expect(offsets.map((l) => Number(l.offset))).toEqual(offsets.map((_, i) => i));
    }

    const imported = await importFile(ctx, { file: out, topic: target });
    expect(imported).toEqual({ records: 200, partitions: 3 });
    expect(await admin.topicOffsets(target)).toHaveLength(3);

    const [before, after] = [byPartition(await readAll(source)), byPartition(await readAll(target))];
    expect(after).toEqual(before);
    expect([...after.values()].map((l) => l.length)).toEqual([67, 67, 66]);
  });

  it('replays from an offset on every partition, into the same partitions', async () => {
    const source = uniqueName('replay-from');
    const target = uniqueName('replay-from-dst');
    await produce(source, 3, mixedRecords(source));
    const result = await replayTopic(ctx, { fromTopic: source, toTopic: target, fromOffset: 60n, allowPersonalData: true });
    expect(result.records).toBe(7 + 7 + 6);
    const before = byPartition(await readAll(source));
    const after = byPartition(await readAll(target));
    for (const [p, records] of before) expect(after.get(p)).toEqual(records.slice(60));
  });

  it('refuses a topic the catalogue does not know without a flag, before reading it, and writes nothing', async () => {
    const source = uniqueName('replay-raw');
    const events = await publishRawEvents(source, 5);
    const out = join(dir, 'refused.jsonl');
    const target = uniqueName('replay-refused');

    await expect(exportTopic(ctx, { topic: source, out })).rejects.toThrow(PersonDataRefused);
    expect(existsSync(out)).toBe(false);
    await expect(replayTopic(ctx, { fromTopic: source, toTopic: target })).rejects.toThrow(/treated as holding person data/);
    expect(await admin.listTopics()).not.toContain(target);

    // the same through the command line: a clear message, exit code 3, no number in the message
    const cli = runCli(['export', '--topic', source, '--out', out]);
    expect(cli.status).toBe(3);
    expect(cli.stderr).toMatch(
      /refused: topic .* is not in the topic catalogue, so it is treated as holding person data.*--rekey.*--allow-personal-data/s,
    );
    for (const e of events) expect(cli.stderr).not.toContain(e.persoon.bsn);
    expect(existsSync(out)).toBe(false);

    // a catalogue topic of a class with person data is refused by its class, whatever it holds
    const dlq = runCli(['export', '--topic', 'register.raw.dlq.v1', '--out', out]);
    expect(dlq.status).toBe(3);
    expect(dlq.stderr).toMatch(/refused: topic register\.raw\.dlq\.v1 is a dead-letter topic, which holds person data/);
    expect(existsSync(out)).toBe(false);

    // allowed explicitly, it is exported as it is
    const allowed = await exportTopic(ctx, { topic: source, out, allowPersonalData: true });
    expect(allowed.records).toBe(15);
  });

  it('replays with --rekey: no source number or name in any record, one token per person within the run', async () => {
    const source = uniqueName('replay-rekey-src');
    const target = uniqueName('replay-rekey-dst');
    const events = await publishRawEvents(source, 12);

    const result = await replayTopic(ctx, { fromTopic: source, toTopic: target, rekey: true });
    expect(result.records).toBe(36);

    const copied = await readAll(target);
    expect(copied).toHaveLength(36);
    const sources = byPartition(await readAll(source));
    const targets = byPartition(copied);
    for (const [p, records] of sources) expect(targets.get(p)).toHaveLength(records.length);

    const bsns = [...new Set(events.map((e) => e.persoon.bsn))];
    const names = [...new Set(events.map((e) => e.persoon.naam.achternaam))];
    const tokenOf = new Map<string, Set<string>>();
    for (const m of copied) {
      const bytes = Buffer.concat([m.key ?? Buffer.alloc(0), m.value ?? Buffer.alloc(0), ...Object.values(m.headers)]).toString('latin1');
      for (const bsn of bsns) expect(bytes).not.toContain(bsn);
      for (const name of names) expect(bytes).not.toContain(`"${name}"`);
      expect(bytes).not.toContain('Persoon');
      const value = JSON.parse(m.value!.toString()) as { eventId: string; persoon: { bsn: string; geboortedatum: string } };
      expect(value.persoon.geboortedatum).toBe('2007-07-01');
      const person = value.eventId.split('-')[1]!;
      tokenOf.set(person, new Set([...(tokenOf.get(person) ?? []), `${value.persoon.bsn}|${m.key!.toString()}`]));
      expect(m.key!.toString()).toBe(createHash('sha256').update(`ANON:${value.persoon.bsn}`).digest('hex'));
    }
    expect(tokenOf.size).toBe(12);
    for (const tokens of tokenOf.values()) expect(tokens.size).toBe(1);
    expect(new Set([...tokenOf.values()].map((t) => [...t][0])).size).toBe(12);
  });

  it('exports a raw topic with --rekey, and imports that file with --rekey into another: no source person arrives', async () => {
    const source = uniqueName('replay-rekey-file-src');
    const target = uniqueName('replay-rekey-file-dst');
    const events = await publishRawEvents(source, 6);
    const file = join(dir, 'rekeyed-raw.jsonl');
    await exportTopic(ctx, { topic: source, out: file, rekey: true });
    // a file has no class: its year-only birth dates still fail import's content check without a flag
    await expect(importFile(ctx, { file, topic: target })).rejects.toThrow(/person field persoon\.geboortedatum/);
    expect(await importFile(ctx, { file, topic: target, rekey: true })).toMatchObject({ records: 18 });
    const copied = await readAll(target);
    expect(copied).toHaveLength(18);
    const bytes = copied.map((m) => Buffer.concat([m.key ?? Buffer.alloc(0), m.value ?? Buffer.alloc(0)]).toString('latin1')).join('\n');
    for (const e of events) {
      expect(bytes).not.toContain(e.persoon.bsn);
      expect(bytes).not.toContain(`"${e.persoon.naam.achternaam}"`);
    }
  });

  it('exports Avro decoded (--decode), rekeys it, and imports it re-encoded with --schema-file', async () => {
    const source = uniqueName('replay-avro');
    const target = uniqueName('replay-avro-dst');
    const schema = {
      type: 'record' as const,
      name: 'ReplayProbe',
      namespace: 'test.replay',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'bsn', type: 'string' },
        { name: 'achternaam', type: 'string' },
      ],
    };
    const schemaFile = join(dir, 'probe.avsc');
    writeFileSync(schemaFile, JSON.stringify(schema));
    const id = await registry.register(`${source}-value`, schema, 'BACKWARD');
    const people = rawEvents({ persons: 4, eventsPerPerson: 1 }) as Array<{ persoon: { bsn: string; naam: { achternaam: string } } }>;
    const values = await Promise.all(
      people.map((p, i) => registry.encode(id, { id: `p${i}`, bsn: p.persoon.bsn, achternaam: p.persoon.naam.achternaam })),
    );
    await produce(
      source,
      2,
      values.map((value, i) => ({ topic: source, partition: i % 2, key: `k${i}`, value })),
    );

    const plain = join(dir, 'avro.jsonl');
    await exportTopic(ctx, { topic: source, out: plain, decode: true, allowPersonalData: true });
    // partitions interleave in the file as they were fetched; within one, records keep their order
    const line = readFileSync(plain, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { partition: number; offset: string | number; valueJson: { id: string }; valueSchemaId: number })
      .find((l) => l.partition === 0 && Number(l.offset) === 0)!;
    expect(line.valueSchemaId).toBe(id);
    expect(line.valueJson.id).toBe('p0');
    // replay rekeys Avro too: decoded through the registry, rekeyed, encoded again with the same schema id
    const replayed = uniqueName('replay-avro-replayed');
    await replayTopic(ctx, { fromTopic: source, toTopic: replayed, rekey: true });
    for (const m of await readAll(replayed)) {
      expect(m.value!.readInt32BE(1)).toBe(id);
      const v = await registry.decode<{ bsn: string; achternaam: string }>(m.value!);
      expect(v.bsn).toMatch(/^anon-/);
      expect(v.achternaam).toBe('[removed]');
    }

    const rekeyed = join(dir, 'avro-rekeyed.jsonl');
    await exportTopic(ctx, { topic: source, out: rekeyed, decode: true, rekey: true });
    const text = readFileSync(rekeyed, 'utf8');
    for (const p of people) {
      expect(text).not.toContain(p.persoon.bsn);
      expect(text).not.toContain(p.persoon.naam.achternaam);
    }
    await expect(importFile(ctx, { file: rekeyed, topic: target })).rejects.toThrow(/--schema-file/);
    await importFile(ctx, { file: rekeyed, topic: target, schemaFile, subject: `${target}-value` });
    const copied = await Promise.all(
      (await readAll(target)).map((m) => registry.decode<{ id: string; bsn: string; achternaam: string }>(m.value!)),
    );
    expect(copied.map((c) => c.id).sort()).toEqual(['p0', 'p1', 'p2', 'p3']);
    for (const c of copied) {
      expect(c.bsn).toMatch(/^anon-/);
      expect(c.achternaam).toBe('[removed]');
    }
  });

  describe('dead letters (their original bytes hold the person)', () => {
    interface Person {
      bsn: string;
      names: string[];
      geboortedatum: string;
    }
    /** Test topics are not in the catalogue; these stand in for the dead-letter topics of the catalogue. */
    const asDeadLetterTopics = (...names: string[]): ReplayContext => ({
      ...ctx,
      classOf: (topic) => (names.includes(topic) ? 'dead-letter' : topicClass(topic)),
    });
    const reasons = [{ field: 'persoon', rule: 'test', message: 'refused by the test' }];

    /** Everything a reader of the file could see: the lines, and every key and original inside them, decoded. */
    async function everythingIn(file: string): Promise<{ text: string; originals: unknown[] }> {
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      const parts: string[] = [];
      const originals: unknown[] = [];
      for (const line of lines) {
        const record = JSON.parse(line) as { key: string | null; valueJson: { originalKey: string | null; originalValue: string | null } };
        parts.push(line, Buffer.from(record.key ?? '', 'base64').toString('latin1'));
        for (const b64 of [record.valueJson.originalKey, record.valueJson.originalValue]) {
          if (b64 === null) continue;
          const bytes = Buffer.from(b64, 'base64');
          if (bytes[0] === 0) {
            const decoded = await registry.decode(bytes);
            originals.push(decoded);
            parts.push(JSON.stringify(decoded));
          } else {
            parts.push(bytes.toString('latin1'));
            originals.push(bytes.toString('utf8'));
          }
        }
      }
      return { text: parts.join('\n'), originals };
    }

    function expectNoneOf(text: string, persons: Person[]) {
      for (const p of persons) {
        expect(text).not.toContain(p.bsn);
        expect(text).not.toContain(createHash('sha256').update(`BSN:${p.bsn}`).digest('hex'));
        for (const name of p.names) expect(text).not.toContain(`"${name}"`);
        expect(text).not.toContain(p.geboortedatum);
      }
    }

    it('exports a raw dead-letter topic with --decode --rekey: no BSN, name or birth date of any original is written', async () => {
      const dlq = uniqueName('replay-raw-dlq');
      const writer = await createDeadLetterWriter({ registry, topic: dlq, service: 'ingest' });
      // valid raw events, and the sample refusals: truncated JSON, wrong types, a BSN inside an eventId
      const good = rawEvents({ persons: 4, eventsPerPerson: 2, idPrefix: 'dl' }).map((e) => JSON.stringify(e));
      const bad = readFileSync('services/ingest/fixtures/bad-events.jsonl', 'utf8').split('\n').filter(Boolean);
      const lines = [...good, ...bad];
      await produce(
        dlq,
        1,
        await Promise.all(
          lines.map((line, i) =>
            writer(
              {
                topic: 'register.raw.v1',
                partition: 0,
                offset: String(i),
                timestamp: '0',
                key: Buffer.from(rawPersonKey(line) ?? ''),
                value: Buffer.from(line),
              },
              reasons,
            ),
          ),
        ),
      );
      const persons: Person[] = [
        ...(
          rawEvents({ persons: 4, eventsPerPerson: 1 }) as Array<{
            persoon: { bsn: string; geboortedatum: string; naam: { voornamen: string; achternaam: string } };
          }>
        ).map((e) => ({
          bsn: e.persoon.bsn,
          names: [e.persoon.naam.voornamen, e.persoon.naam.achternaam],
          geboortedatum: e.persoon.geboortedatum,
        })),
        { bsn: '111222333', names: ['Persoon'], geboortedatum: '2018-05-14' },
        { bsn: '123456782', names: ['Testa', 'Proefpersoon'], geboortedatum: '2012-11-02' },
        { bsn: '123456789', names: ['Proefpersoon'], geboortedatum: '2012-11-02' },
        { bsn: '999999990', names: ['Test Jan', 'Voorbeeld'], geboortedatum: '2007-03-21' },
      ];
      const dlqCtx = asDeadLetterTopics(dlq);
      const out = join(dir, 'raw-dlq.jsonl');

      // refused by its class without a flag, before anything is read
      await expect(exportTopic(dlqCtx, { topic: dlq, out, decode: true })).rejects.toThrow(
        /is a dead-letter topic, which holds person data/,
      );
      expect(existsSync(out)).toBe(false);
      // what it used to do: with person data allowed, the originals are there, BSN and all
      await exportTopic(dlqCtx, { topic: dlq, out, decode: true, allowPersonalData: true });
      expect((await everythingIn(out)).text).toContain(persons[0]!.bsn);

      const result = await exportTopic(dlqCtx, { topic: dlq, out, decode: true, rekey: true });
      expect(result.records).toBe(lines.length);
      const { text, originals } = await everythingIn(out);
      expectNoneOf(text, persons);
      expect(text).not.toContain('111222333'); // in an eventId
      // the originals that parsed are rekeyed JSON, still telling what was refused; the ones that did not are dropped
      const parsed = originals.filter((o): o is string => typeof o === 'string' && o.startsWith('{')).map((o) => JSON.parse(o));
      expect(parsed.map((o) => o.eventId)).toContain('dl-0-0');
      for (const o of parsed.filter((o) => typeof o.persoon?.bsn === 'string')) expect(o.persoon.bsn).toMatch(/^anon-/);
      expect(result.dropped).toBeGreaterThan(0);

      // the command line, which knows the topic only as not in the catalogue, rekeys it the same way
      const cliOut = join(dir, 'raw-dlq-cli.jsonl');
      const cli = runCli(['export', '--topic', dlq, '--out', cliOut, '--decode', '--rekey']);
      expect(cli.status, cli.stderr).toBe(0);
      expect(cli.stderr).toMatch(/written to .* \(rekeyed; \d+ value\(s\) or bytes field\(s\) written as null/);
      expectNoneOf((await everythingIn(cliOut)).text, persons);
    });

    it('exports a canonical dead-letter topic with --decode --rekey: the Avro originals are rekeyed inside their bytes', async () => {
      const dlq = uniqueName('replay-events-dlq');
      const eventsTopic = uniqueName('replay-events');
      const eventSchemaId = await registry.register(
        valueSubject(eventsTopic),
        loadAvroSchema('register-event.avsc'),
        'BACKWARD_TRANSITIVE',
      );
      const writer = await createDeadLetterWriter({ registry, topic: dlq, service: 'pseudonymise' });
      const raws = rawEvents({ persons: 3, eventsPerPerson: 2, idPrefix: 'cdl' }) as Array<{
        persoon: { bsn: string; geboortedatum: string; naam: { voornamen: string; achternaam: string } };
      }>;
      const events = raws.map((r) => canonical(r as unknown as Record<string, unknown>));
      // keyed as ingest keys them: an HMAC under its internal key, which production links to the person
      const partitionKey = createPartitionKey(createSecretKey(randomBytes(32)));
      await produce(
        dlq,
        1,
        await Promise.all(
          events.map(async (e, i) =>
            writer(
              {
                topic: eventsTopic,
                partition: 0,
                offset: String(i),
                timestamp: '0',
                key: Buffer.from(partitionKey(e)),
                value: await registry.encode(eventSchemaId, e),
              },
              reasons,
            ),
          ),
        ),
      );
      const persons = raws.map((r) => ({
        bsn: r.persoon.bsn,
        names: [r.persoon.naam.voornamen, r.persoon.naam.achternaam],
        geboortedatum: r.persoon.geboortedatum,
      }));
      const out = join(dir, 'events-dlq.jsonl');
      const result = await exportTopic(asDeadLetterTopics(dlq), { topic: dlq, out, decode: true, rekey: true });
      expect(result).toMatchObject({ records: events.length, dropped: 0 });

      const { text, originals } = await everythingIn(out);
      expectNoneOf(text, persons);
      for (const e of events) expect(text).not.toContain(partitionKey(e));
      const rekeyed = originals.filter((o): o is (typeof events)[number] => typeof o === 'object' && o !== null && 'eventId' in o);
      expect(rekeyed.map((e) => e.eventId).sort()).toEqual(events.map((e) => e.eventId).sort());
      for (const e of rekeyed) {
        const before = events.find((b) => b.eventId === e.eventId)!;
        expect(e.persoon.identificatie.nummer).toMatch(/^anon-/);
        expect(e.persoon.naam.achternaam).toBe('[removed]');
        expect(e.persoon.geboortedatum).not.toBe(before.persoon.geboortedatum);
        expect(new Date(e.persoon.geboortedatum * 86_400_000).toISOString().slice(4, 10)).toBe('-07-01');
        expect(e.inschrijving).toEqual(before.inschrijving);
      }
    });
  });

  it('resets a group without members, and only shows the change on a dry run', async () => {
    const topic = uniqueName('replay-reset');
    const group = uniqueName('replay-reset-group');
    await produce(topic, 3, mixedRecords(topic));

    const dry = await resetGroup(ctx, { group, topic, toEarliest: true, dryRun: true });
    expect(dry.applied).toBe(false);
    expect(dry.changes.map((c) => [c.current, c.next])).toEqual([
      ['-1', '0'],
      ['-1', '0'],
      ['-1', '0'],
    ]);
    expect((await admin.groupOffsets(group, topic)).map((c) => c.offset)).toEqual(['-1', '-1', '-1']);

    const future = Date.now() + 3_600_000;
    const applied = await resetGroup(ctx, { group, topic, toTimestamp: future });
    expect(applied.applied).toBe(true);
    expect((await admin.groupOffsets(group, topic)).map((c) => c.offset)).toEqual(['67', '67', '66']);

    const back = await resetGroup(ctx, { group, topic, toEarliest: true });
    expect(back.changes.map((c) => c.current)).toEqual(['67', '67', '66']);
    expect((await admin.groupOffsets(group, topic)).map((c) => c.offset)).toEqual(['0', '0', '0']);
  });

  it('refuses to reset a group that has active members, and says so', async () => {
    const topic = uniqueName('replay-active');
    const group = uniqueName('replay-active-group');
    await produce(
      topic,
      1,
      mixedRecords(topic).map((m) => ({ ...m, partition: 0 })),
    );
    const consumer = await bus.consumer({ groupId: group });
    try {
      await consumer.subscribe([topic]);
      await consumer.run({ autoCommit: true, eachBatch: async () => {} });
      await waitFor('the consumer to join', () => consumer.assignment().length > 0);
      await expect(resetGroup(ctx, { group, topic, toEarliest: true })).rejects.toThrow(GroupActiveError);
      await expect(resetGroup(ctx, { group, topic, toEarliest: true })).rejects.toThrow(/1 active member.*stop its consumers first/);
      expect((await resetGroup(ctx, { group, topic, toEarliest: true, dryRun: true })).activeMembers).toBe(1);
    } finally {
      await consumer.disconnect();
    }
  });
});
