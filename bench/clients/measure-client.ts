// One client's figures for bench/clients.bench.ts, in a process of its own (so CPU time, JIT and GC are that
// client's alone): producer, consumer, exactly-once passthrough (a transaction per batch, and per ~100 ms) and
// a fencing check. Prints its figures as one line `figures {json}` on stdout (logs may share stdout); progress on stderr.
//   node bench/clients/measure-client.ts --client platformatic --records 20000
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  type Batch,
  commonSettings,
  createKafkajsBus,
  createLogger,
  isProducerFenced,
  kafkaAuthOrExit,
  loadConfigOrExit,
  type OutgoingMessage,
  type Transaction,
} from '@register-feeds/service-kit';
import { createPlatformaticBus } from '@register-feeds/service-kit/platformatic-bus';
import { busDriver } from './bus-driver.ts';
import { confluentDriver, loadConfluent } from './confluent-driver.ts';
import { CLIENTS, type ClientDriver, type ClientName, FIGURES } from './driver.ts';

export interface Phase {
  records: number;
  wallMs: number;
  cpuUs: number;
  /** time from run() to the first batch (group join, first fetch), not in wallMs */
  startMs?: number;
  transactions?: number;
}

export interface ClientFigures {
  client: ClientName;
  version: string;
  produce: Phase;
  consume: Phase;
  eosPerBatch: Phase;
  eosTimed: Phase;
  fencing: string;
}

const { values } = parseArgs({
  options: {
    client: { type: 'string' },
    records: { type: 'string', default: '20000' },
    'send-size': { type: 'string', default: '1000' },
    'tx-ms': { type: 'string', default: '100' },
  },
});
const client = values.client as ClientName;
if (!CLIENTS.includes(client)) throw new Error(`--client must be one of ${CLIENTS.join(', ')}`);
const total = Number(values.records);
const sendSize = Number(values['send-size']);
const txMs = Number(values['tx-ms']);
const PARTITIONS = 6;
const RECORD_BYTES = 200;

const base = loadConfigOrExit('bench', commonSettings);
const auth = kafkaAuthOrExit('bench', base);
const logger = createLogger({ service: 'bench', level: 'warn' });
const brokers = base.kafkaBrokers;

const driver = await makeDriver();
if (typeof driver === 'string') {
  process.stdout.write(`${FIGURES}${JSON.stringify({ client, skipped: driver })}\n`);
  process.exit(0);
}

const adminBus = createKafkajsBus({ brokers, clientId: 'bench-clients-admin', logger, auth });
const admin = await adminBus.admin();
const run = `bench-clients-${client}-${randomUUID().slice(0, 8)}`;
const topics = { in: `${run}.in`, outBatch: `${run}.out-batch`, outTimed: `${run}.out-timed`, fence: `${run}.fence` };
await admin.ensureTopics(Object.values(topics).map((name) => ({ name, partitions: PARTITIONS, replicationFactor: 1 })));

const step = (what: string) => process.stderr.write(`bench:clients ${client}: ${what}\n`);

try {
  step(`producing ${total} records of ${RECORD_BYTES} bytes, ${sendSize} per send`);
  const produce = await measureProduce(driver);
  step('consuming');
  const consume = await measureConsume(driver);
  step('exactly-once passthrough, one transaction per batch');
  const eosPerBatch = await measurePassthrough(driver, 'batch', topics.outBatch);
  step(`exactly-once passthrough, one transaction per ~${txMs} ms`);
  const eosTimed = await measurePassthrough(driver, 'timed', topics.outTimed);
  step('fencing');
  const fencing = await checkFencing(driver);
  const figures: ClientFigures = { client, version: driver.version, produce, consume, eosPerBatch, eosTimed, fencing };
  process.stdout.write(`${FIGURES}${JSON.stringify(figures)}\n`);
} finally {
  await admin.deleteTopics(Object.values(topics)).catch(() => {});
  await admin.disconnect();
}
// some clients keep timers (metadata refresh, librdkafka threads) after disconnect
process.exit(0);

async function makeDriver(): Promise<ClientDriver | string> {
  if (client === 'kafkajs')
    return busDriver('kafkajs', 'kafkajs 2.2.4 (kafkajs-bus.ts)', createKafkajsBus({ brokers, clientId: 'bench-clients', logger, auth }));
  if (client === 'platformatic')
    return busDriver(
      'platformatic',
      '@platformatic/kafka 2.12.1 (platformatic-bus.ts)',
      createPlatformaticBus({ brokers, clientId: 'bench-clients', logger, auth }),
    );
  if (auth) return 'the confluent driver of the benchmark does not pass SASL credentials';
  const ck = loadConfluent(process.env.CKJS_PATH);
  return typeof ck === 'string' ? ck : confluentDriver(ck, brokers, 'bench-clients');
}

/**
 * Wall and CPU time of `work`, ended by the `done` it is given (so stopping a consumer is not measured) or by its
 * return; the start-up it reports (startMs) is taken out of the wall time.
 */
async function timed(
  records: number,
  work: (done: () => void) => Promise<Omit<Phase, 'records' | 'wallMs' | 'cpuUs'> | undefined>,
): Promise<Phase> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let end: { at: number; cpu: NodeJS.CpuUsage } | undefined;
  const done = () => {
    end ??= { at: performance.now(), cpu: process.cpuUsage(cpu0) };
  };
  const extra = (await work(done)) ?? {};
  done();
  const { at, cpu } = end as { at: number; cpu: NodeJS.CpuUsage };
  return { records, wallMs: at - t0 - (extra.startMs ?? 0), cpuUs: cpu.user + cpu.system, ...extra };
}

async function measureProduce(d: ClientDriver): Promise<Phase> {
  const value = Buffer.alloc(RECORD_BYTES - 16, 'x');
  const records: OutgoingMessage[] = Array.from({ length: total }, (_, i) => ({
    topic: topics.in,
    key: `key-${String(i).padStart(12, '0')}`, // 16 bytes of key + the value: 200 bytes per record
    value,
  }));
  const producer = await d.producer();
  try {
    return await timed(total, async () => {
      for (let i = 0; i < records.length; i += sendSize) await producer.send(records.slice(i, i + sendSize));
      return undefined;
    });
  } finally {
    await producer.disconnect();
  }
}

/** Runs a consumer of the input topic until `done` says so; the phase starts at the first batch. */
async function consumeUntil(
  d: ClientDriver,
  groupId: string,
  autoCommit: boolean,
  handle: (batch: Batch) => Promise<void>,
  finished: () => boolean,
  done: () => void,
): Promise<{ startMs: number }> {
  const consumer = await d.consumer(groupId, { autoCommit });
  await consumer.subscribe([topics.in]);
  const t0 = performance.now();
  let startMs: number | undefined;
  let failure: unknown;
  await consumer.run(async (batch) => {
    startMs ??= performance.now() - t0;
    try {
      await handle(batch);
    } catch (error) {
      failure ??= error;
      throw error;
    }
  });
  const deadline = Date.now() + 600_000;
  while (!finished()) {
    if (failure) throw failure;
    if (Date.now() > deadline) throw new Error(`${groupId}: not finished after 10 minutes`);
    await new Promise((r) => setTimeout(r, 2));
  }
  done();
  await consumer.disconnect();
  return { startMs: startMs ?? 0 };
}

async function measureConsume(d: ClientDriver): Promise<Phase> {
  let seen = 0;
  return timed(total, (done) =>
    consumeUntil(
      d,
      `${run}-consume`,
      true,
      async (batch) => {
        seen += batch.messages.length;
      },
      () => seen >= total,
      done,
    ),
  );
}

/**
 * consume -> produce to `out` -> sendOffsets -> commit. `batch`: one transaction per fetched batch (what the
 * services do today); `timed`: batches join the open transaction, committed once it is txMs old (Kafka Streams'
 * commit.interval.ms under exactly-once), also by a timer when no batch comes.
 */
async function measurePassthrough(d: ClientDriver, mode: 'batch' | 'timed', out: string): Promise<Phase> {
  const groupId = `${run}-eos-${mode}`;
  const producer = await d.transactionalProducer(`${groupId}-tx`);
  let committed = 0;
  let transactions = 0;
  let open: { tx: Transaction; since: number; records: number } | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  const locked = <T>(work: () => Promise<T>): Promise<T> => {
    const result = chain.then(work);
    chain = result.catch(() => {});
    return result;
  };
  const commitOpen = async () => {
    if (!open) return;
    const { tx, records } = open;
    open = undefined;
    await tx.commit();
    committed += records;
    transactions++;
  };
  const ticker =
    mode === 'timed'
      ? setInterval(() => {
          locked(async () => {
            if (open && performance.now() - open.since >= txMs) await commitOpen();
          }).catch(() => {});
        }, 5)
      : undefined;
  try {
    return await timed(total, async (done) => {
      const { startMs } = await consumeUntil(
        d,
        groupId,
        false,
        (batch) =>
          locked(async () => {
            open ??= { tx: await producer.transaction(), since: performance.now(), records: 0 };
            await open.tx.send(batch.messages.map((m) => ({ topic: out, key: m.key, value: m.value })));
            await open.tx.sendOffsets(groupId, [
              { topic: batch.topic, partition: batch.partition, offset: (BigInt(batch.lastOffset) + 1n).toString() },
            ]);
            open.records += batch.messages.length;
            if (mode === 'batch' || performance.now() - open.since >= txMs) await commitOpen();
          }),
        () => committed >= total,
        done,
      );
      return { startMs, transactions };
    });
  } finally {
    clearInterval(ticker);
    await producer.disconnect();
  }
}

/** A second transactional producer with the same id takes over: the first one's open transaction must not commit. */
async function checkFencing(d: ClientDriver): Promise<string> {
  const id = `${run}-fence-tx`;
  const first = await d.transactionalProducer(id);
  const zombie = await first.transaction();
  await zombie.send([{ topic: topics.fence, key: 'k', value: 'zombie' }]);
  const second = await d.transactionalProducer(id);
  const next = await second.transaction();
  await next.send([{ topic: topics.fence, key: 'k', value: 'successor' }]);
  await next.commit();
  const outcome = await zombie.commit().then(
    () => 'NOT FENCED: the first producer committed',
    (error: unknown) => (isProducerFenced(error) ? 'fenced' : `failed otherwise: ${String(error).slice(0, 120)}`),
  );
  await Promise.allSettled([first.disconnect(), second.disconnect()]);
  return outcome;
}
