import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  type Agreement,
  applyAgreement,
  createKeyStore,
  generateTestKeys,
  loadAgreements,
  type PseudonymisePipeline,
  settings,
  startPseudonymise,
} from '@register-feeds/pseudonymise';
import type { RegisterEvent } from '@register-feeds/register-model';
import { type Admin, createLogger, createSchemaRegistryClient, loadConfig } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyAgreements, recipientTopicOf } from './support/agreements.ts';
import { canonical, publishCanonical } from './support/canonical.ts';
import { pseudonymiseTestEnv } from './support/pseudonymise-env.ts';
import { testBsn } from './support/raw-events.ts';
import { countingFailedDecodes, createRegistryProxy, type RegistryProxy } from './support/registry-proxy.ts';
import { groupCaughtUp, readAll, testStack, uniqueName, waitFor } from './support/stack.ts';

// A schema registry outage is not a property of the records: pseudonymise waits it out and delivers every
// valid event, none goes to its dead-letter topic. The registry is "down" for the service only: it gets a
// local port that refuses connections (nothing listens), later a proxy to the shared registry on that port.

const { bus, registry, brokers, registryUrl } = testStack();
let admin: Admin;
const proxies: RegistryProxy[] = [];

beforeAll(async () => {
  admin = await bus.admin();
});
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await admin.disconnect();
});

/** Log lines as objects, to wait on what the service said. */
function capturedLogger(service: string) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ service, level: 'info', destination }) };
}

function eventsFor(id: string, count: number): RegisterEvent[] {
  const born = `${new Date().getUTCFullYear() - 17}-02-01`; // a minor: every recipient may get something
  return Array.from({ length: count }, (_, i) =>
    canonical({
      eventId: `${id}-${i}`,
      eventType: 'InschrijvingGeregistreerd',
      occurredAt: '2025-09-01T08:00:00Z',
      sector: 'MBO',
      persoon: { bsn: testBsn(300 + i), geboortedatum: born, naam: { voornamen: 'Test', achternaam: `Persoon ${i}` } },
      inschrijving: {
        brin: '25LX',
        inschrijvingsvolgnummer: `80${i}`,
        opleidingscode: '25180',
        leerweg: 'BBL',
        niveau: 3,
        locatiecodeMbo: 'LOC1',
        begindatum: '2025-08-01',
      },
    }),
  );
}

function setUp(name: string) {
  const id = uniqueName(name);
  const agreements: Agreement[] = loadAgreements(copyAgreements(mkdtempSync(join(tmpdir(), `${name}-`))));
  const keys = createKeyStore(generateTestKeys(agreements.map((a) => a.recipient)));
  const config = loadConfig(settings, pseudonymiseTestEnv({ id, brokers, registryUrl }));
  return { id, agreements, keys, config };
}

/** Every event is delivered to every recipient its agreement allows, and nothing is dead-lettered. */
async function expectEveryEventDelivered(
  { agreements, keys, config }: ReturnType<typeof setUp>,
  events: RegisterEvent[],
  pipeline: PseudonymisePipeline,
  now: number,
) {
  expect(pipeline.counters.deadLettered).toBe(0);
  expect(await readAll(bus, admin, config.deadLetterTopic)).toEqual([]);
  for (const agreement of agreements) {
    const expected = events.filter((e) => applyAgreement(e, agreement, keys.keyFor(agreement.recipient), now) !== null).length;
    expect(expected, agreement.recipient).toBeGreaterThan(0);
    expect((await readAll(bus, admin, recipientTopicOf(config.recipientTopicPrefix, agreement))).length, agreement.recipient).toBe(
      expected,
    );
  }
  expect((await readAll(bus, admin, config.auditTopic)).length).toBe(events.length);
}

describe('pseudonymise through a schema registry outage', () => {
  it('starts while the registry refuses connections, once it is served, and delivers every event', async () => {
    const setup = setUp('outage-start');
    const events = eventsFor(setup.id, 30);
    await publishCanonical(bus, registry, setup.config.eventsTopic, events);
    const proxy = await createRegistryProxy(registryUrl);
    proxies.push(proxy);
    const { lines, logger } = capturedLogger('outage-start');
    const now = Date.now();

    // the registry is down: nothing listens on the port the service is given
    const starting = startPseudonymise({
      config: setup.config,
      agreements: setup.agreements,
      keys: setup.keys,
      bus,
      registry: createSchemaRegistryClient({ url: proxy.url, logger }),
      logger,
      clock: () => now,
    });
    const failed = starting.then(
      () => undefined,
      (error: unknown) => error,
    );
    await waitFor('two refused registry calls, retried', async () => {
      const error = await Promise.race([failed, Promise.resolve('pending')]);
      if (error !== 'pending' && error !== undefined) throw error;
      return lines.filter((l) => l.msg === 'schema registry unavailable, retrying').length >= 2;
    });
    expect(proxy.forwarded).toBe(0);

    await proxy.open();
    const pipeline = await starting;
    try {
      await groupCaughtUp(admin, setup.config.groupId, setup.config.eventsTopic);
    } finally {
      await pipeline.stop();
    }
    await expectEveryEventDelivered(setup, events, pipeline, now);
  });

  it('does not dead-letter events it cannot decode while the registry is down, and delivers them once it is back', async () => {
    const setup = setUp('outage-run');
    const events = eventsFor(setup.id, 40);
    const proxy = await createRegistryProxy(registryUrl);
    proxies.push(proxy);
    await proxy.open();
    const client = countingFailedDecodes(createSchemaRegistryClient({ url: proxy.url }));
    const now = Date.now();
    const pipeline = await startPseudonymise({
      config: setup.config,
      agreements: setup.agreements,
      keys: setup.keys,
      bus,
      registry: client,
      logger: createLogger({ service: 'outage-run', level: process.env.TEST_LOG_LEVEL ?? 'error' }),
      clock: () => now,
    });
    try {
      // the registry goes down before the first event: its writer schema is not known to the service yet
      await proxy.close();
      await publishCanonical(bus, registry, setup.config.eventsTopic, events);
      await waitFor('decodes refused by the registry outage', () => client.failedDecodes >= 3);
      expect(pipeline.counters.events).toBe(0);

      await proxy.open();
      await groupCaughtUp(admin, setup.config.groupId, setup.config.eventsTopic);
    } finally {
      await pipeline.stop();
    }
    expect(pipeline.counters.events).toBe(events.length);
    await expectEveryEventDelivered(setup, events, pipeline, now);
  });
});
