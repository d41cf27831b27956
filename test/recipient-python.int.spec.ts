import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StagemarktRecord } from '@register-feeds/deliver';
import { recordFor } from '@register-feeds/deliver/test-support';
import { loadAgreements, recipientSchema } from '@register-feeds/pseudonymise';
import { type Admin, valueSubject } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipientPages } from '../scripts/recipient-docs.ts';
import { createTopics, testStack, uniqueName } from './support/stack.ts';

// The Python reader of docs/recipients/sbb-stagemarkt.md, run as written (the code block of the page)
// with the real confluent-kafka client and its Avro deserializer against the real broker and the
// Apicurio registry's Confluent-compatible API, on a topic of its own with real S-BB records.
//
// Needs a Python with confluent-kafka[avro,schemaregistry]: $RECIPIENT_PYTHON, else the venv
//   python3 -m venv .local/py-recipients && .local/py-recipients/bin/pip install "confluent-kafka[avro,schemaregistry]==2.16.1"
// else python3. Skipped (not failed) where none has it.

const candidates = [process.env.RECIPIENT_PYTHON, new URL('../.local/py-recipients/bin/python', import.meta.url).pathname, 'python3'];
const python = candidates.find(
  (p): p is string =>
    p !== undefined &&
    (p === 'python3' || existsSync(p)) &&
    spawnSync(p, ['-c', 'import confluent_kafka, fastavro'], { stdio: 'ignore' }).status === 0,
);

const { bus, registry, brokers, registryUrl } = testStack();
const topic = uniqueName('pyreader');
const dir = mkdtempSync(join(tmpdir(), 'recipient-python-'));
let admin: Admin;

const records = [
  { eventId: `${topic}-1`, eventType: 'InschrijvingGeregistreerd', on: '2025-08-01' },
  { eventId: `${topic}-2`, eventType: 'BpvGeregistreerd', on: '2025-09-01' },
  { eventId: `${topic}-3`, eventType: 'BpvBeeindigd', on: '2026-01-31', bpv: { werkelijkeEinddatum: '2026-01-31' } },
].map((options) => recordFor<StagemarktRecord>('sbb-stagemarkt', options as Parameters<typeof recordFor>[1]));

describe.skipIf(python === undefined)('the Python reader of a recipient page', () => {
  beforeAll(async () => {
    admin = await bus.admin();
    await createTopics(admin, { name: topic });
    const agreement = loadAgreements(new URL('../agreements', import.meta.url).pathname).find((a) => a.recipient === 'sbb-stagemarkt')!;
    const schemaId = await registry.register(valueSubject(topic), recipientSchema(agreement) as never, 'BACKWARD_TRANSITIVE');
    const producer = await bus.producer();
    await producer.send(
      await Promise.all(records.map(async (r) => ({ topic, key: r.persoon.pseudonym, value: await registry.encode(schemaId, r) }))),
    );
    await producer.disconnect();
  });
  afterAll(async () => {
    await admin?.deleteTopics?.([topic]).catch(() => {});
    await admin?.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the records with their dates, as the page says', async () => {
    const page = recipientPages().get('sbb-stagemarkt.md')!;
    const code = /```python\n([\s\S]*?)```/.exec(page)?.[1];
    expect(code).toBeDefined();
    const script = join(dir, 'reader.py');
    writeFileSync(script, code!);
    const output = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(python!, [script], {
        env: {
          ...process.env,
          TOPIC: topic,
          KAFKA_BROKERS: brokers.join(','),
          SCHEMA_REGISTRY_URL: registryUrl,
          GROUP_ID: `${topic}.reader`,
          MAX_RECORDS: String(records.length),
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    expect(output.code, output.stderr.slice(-2000)).toBe(0);
    const lines = output.stdout.trim().split('\n');
    expect(lines).toEqual(
      records.map((r) => {
        const day = new Date(r.occurredOn * 86_400_000).toISOString().slice(0, 10);
        return `${r.persoon.pseudonym} ${r.eventType} ${day} ${r.recordId}`;
      }),
    );
  });
});
