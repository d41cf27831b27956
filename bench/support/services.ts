// The three services as separate processes (`node services/<name>/src/main.ts`, as scripts/start.sh runs
// them) on topics and groups of one run, with TEST keys made in a temporary directory; plus what a benchmark
// needs around them: raw events to feed, a producer for them, the processes' memory and CPU from /proc, and
// a wait until every group has read its topic to the end. Shared by bench:pipeline and bench:soak.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rawPersonKey } from '@register-feeds/contracts';
import { generateRegisterEvents } from '@register-feeds/generator';
import { generateTestKeys, loadAgreements } from '@register-feeds/pseudonymise';
import type { Admin, MessageBus } from '@register-feeds/service-kit';
import { copyAgreements } from '../../test/support/agreements.ts';
import { type ProcMemory, procCpuUs, procMemory } from './proc.ts';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const SERVICES = ['ingest', 'pseudonymise', 'deliver'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The projections deliver keeps (services/deliver/projections.yaml), by recipient: their kind. */
const DELIVERED: Record<string, string> = {
  'sbb-stagemarkt': 'stagemarkt',
  'svb-kostendelersnorm': 'svb',
  'ggd-jeugdgezondheid': 'ggd',
};

export interface ServicesOptions {
  /** Kafka bootstrap servers and registry the services use (the bench's own config) */
  brokers: string[];
  registryUrl: string;
  /** names topics and groups (`<runId>.raw`, ...); a fresh random one by default */
  runId?: string;
  /** env for all three services on top of what this module sets (e.g. EDGE_COMMIT_INTERVAL_MS) */
  env?: Record<string, string>;
  /** env for one service only, applied last */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** partitions of the raw topic, created before ingest starts (default 6, the catalogue's) */
  rawPartitions?: number;
  /** how long to wait for each service's "<name> running" (default 120 s) */
  readyTimeoutMs?: number;
}

export interface GroupOnTopic {
  service: ServiceName;
  group: string;
  topic: string;
}

export interface ServiceUsage {
  memory: ProcMemory;
  /** CPU time used since the process started, microseconds */
  cpuUs: number;
}

export interface RunningServices {
  runId: string;
  /** temporary directory with the test keys, agreements, projections file and the services' logs */
  dir: string;
  pids: Record<ServiceName, number>;
  topics: { raw: string; events: string; recipients: Record<string, string> };
  /** every consumer group of the three services with the topic it reads */
  groups: GroupOnTopic[];
  /** deliver's read API and a token for the sbb-stagemarkt rows */
  api: { url: string; stagemarktToken: string };
  logFile(service: ServiceName): string;
  /** memory and CPU of each service now (throws once a process has exited) */
  usage(): Record<ServiceName, ServiceUsage>;
  rss(): Record<ServiceName, ProcMemory>;
  cpu(): Record<ServiceName, number>;
  /** services that exited by themselves, with their exit code or signal */
  exited(): Partial<Record<ServiceName, number | string>>;
  /** SIGTERM to all three (SIGKILL after 30 s); their exit codes. deleteTopics: also the run's topics. */
  stop(options?: { deleteTopics?: boolean; admin?: Admin }): Promise<Record<ServiceName, number | string>>;
}

/** Replicas of the topics a benchmark creates itself: the services' TOPIC_REPLICATION_FACTOR (3 on a 3-node stack). */
export function topicReplicationFactor(): number {
  return Number(process.env.TOPIC_REPLICATION_FACTOR ?? '1') || 1;
}

/** Children still running: a benchmark that dies (an exception, process.exit) must not leave services behind. */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGTERM');
  });
}

/** A TEST key file in the run's temporary directory: 0600 from its creation, never committed. */
function writeSecretFile(path: string, text: string): string {
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  return path;
}

/** Waits until a JSON log line with this message appears; returns it parsed. */
async function logged(file: string, message: string, child: ChildProcess, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {}
    const at = text.indexOf(`"msg":"${message}"`);
    if (at >= 0) {
      const start = text.lastIndexOf('\n', at) + 1;
      const end = text.indexOf('\n', at);
      return JSON.parse(text.slice(start, end < 0 ? undefined : end)) as Record<string, unknown>;
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${file}: the process exited (${child.exitCode ?? child.signalCode}) before "${message}":\n${text.slice(-2000)}`);
    }
    if (Date.now() > deadline) throw new Error(`${file}: no "${message}" after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts ingest, pseudonymise and deliver as child processes on this run's topics and groups, and waits
 * until each has logged that it runs. Each service's log goes to <dir>/<service>.log.
 */
export async function startServices(admin: Admin, options: ServicesOptions): Promise<RunningServices> {
  const runId = options.runId ?? `bench-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), `${runId}-`));
  // recipient topics of this run: recipient.<id>.v<version>, a version no other run uses
  const version = 100_000 + Math.floor(Math.random() * 1e8);
  const agreementsDir = copyAgreements(join(dir, 'agreements'), version);
  const agreements = loadAgreements(agreementsDir);
  const recipients = Object.fromEntries(agreements.map((a) => [a.recipient, a.output.topic]));
  const keysFile = writeSecretFile(join(dir, 'pseudonym-keys.json'), JSON.stringify(generateTestKeys(Object.keys(recipients))));
  const partitionKeyFile = writeSecretFile(join(dir, 'ingest-partition-key'), randomBytes(32).toString('base64'));
  const projectionsFile = join(dir, 'projections.yaml');
  writeFileSync(
    projectionsFile,
    `projections:\n${Object.entries(DELIVERED)
      .map(([recipient, kind]) => `  - recipient: ${recipient}\n    kind: ${kind}\n    input: ${recipients[recipient]}\n`)
      .join('')}`,
  );
  const stagemarktToken = randomBytes(24).toString('hex');
  const topics = { raw: `${runId}.raw`, events: `${runId}.events`, recipients };
  const common = {
    KAFKA_BROKERS: options.brokers.join(','),
    SCHEMA_REGISTRY_URL: options.registryUrl,
    LOG_LEVEL: 'info',
  };
  const env: Record<ServiceName, Record<string, string>> = {
    ingest: {
      RAW_TOPIC: topics.raw,
      EVENTS_TOPIC: topics.events,
      RAW_DEAD_LETTER_TOPIC: `${runId}.raw-dlq`,
      INGEST_SEEN_TOPIC: `${runId}.seen`,
      INGEST_GROUP_ID: `${runId}.ingest`,
      INGEST_PARTITION_KEY_FILE: partitionKeyFile,
    },
    pseudonymise: {
      EVENTS_TOPIC: topics.events,
      EVENTS_DEAD_LETTER_TOPIC: `${runId}.events-dlq`,
      AUDIT_TOPIC: `${runId}.audit`,
      PSEUDONYMISE_GROUP_ID: `${runId}.pseudonymise`,
      PSEUDONYM_KEYS_FILE: keysFile,
      AGREEMENTS_DIR: agreementsDir,
    },
    deliver: {
      DELIVER_PROJECTIONS_FILE: projectionsFile,
      DELIVER_LEASE_TOPIC: `${runId}.deliver-writers`,
      DELIVER_DEAD_LETTER_TOPIC: `${runId}.deliver-dlq`,
      FEED_TOPIC_PREFIX: `${runId}.feed.`,
      DELIVER_GROUP_PREFIX: `${runId}.deliver`,
      DELIVER_HTTP_PORT: '0',
      DELIVER_API_TOKENS: `sbb-stagemarkt:${stagemarktToken}`,
    },
  };
  const groups: GroupOnTopic[] = [
    { service: 'ingest', group: `${runId}.ingest`, topic: topics.raw },
    { service: 'pseudonymise', group: `${runId}.pseudonymise`, topic: topics.events },
    ...Object.keys(DELIVERED).map((r) => ({ service: 'deliver' as const, group: `${runId}.deliver-${r}`, topic: recipients[r] as string })),
  ];

  await admin.ensureTopics([{ name: topics.raw, partitions: options.rawPartitions ?? 6, replicationFactor: topicReplicationFactor() }]);
  const logFile = (service: ServiceName) => join(dir, `${service}.log`);
  const children = {} as Record<ServiceName, ChildProcess>;
  const exits: Partial<Record<ServiceName, number | string>> = {};
  let stopping = false;
  const stopAll = async (): Promise<Record<ServiceName, number | string>> => {
    stopping = true;
    const codes = await Promise.all(
      SERVICES.map(async (service) => {
        const child = children[service];
        if (!child) return 'not started';
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode ?? 'unknown';
        const exited = new Promise<number | string>((r) => child.once('exit', (code, signal) => r(code ?? signal ?? 'unknown')));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }),
    );
    return Object.fromEntries(SERVICES.map((s, i) => [s, codes[i] as number | string])) as Record<ServiceName, number | string>;
  };
  try {
    // all three at once, as start.sh starts them: each ensures the topics it reads and writes
    for (const service of SERVICES) {
      const log = openSync(logFile(service), 'a');
      const child = spawn(process.execPath, [`services/${service}/src/main.ts`], {
        cwd: ROOT,
        env: { ...process.env, ...common, ...env[service], ...options.env, ...options.serviceEnv?.[service] },
        stdio: ['ignore', log, log],
      });
      closeSync(log);
      track(child);
      children[service] = child;
      child.once('exit', (code, signal) => {
        if (!stopping) exits[service] = code ?? signal ?? 'unknown';
      });
    }
    const running = await Promise.all(
      SERVICES.map((s) => logged(logFile(s), `${s} running`, children[s], options.readyTimeoutMs ?? 120_000)),
    );
    const url = String(running[2]?.url);
    const pids = Object.fromEntries(SERVICES.map((s) => [s, children[s].pid as number])) as Record<ServiceName, number>;
    const each = <T>(read: (pid: number) => T) => Object.fromEntries(SERVICES.map((s) => [s, read(pids[s])])) as Record<ServiceName, T>;
    return {
      runId,
      dir,
      pids,
      topics,
      groups,
      api: { url, stagemarktToken },
      logFile,
      usage: () => each((pid) => ({ memory: procMemory(pid), cpuUs: procCpuUs(pid) })),
      rss: () => each(procMemory),
      cpu: () => each(procCpuUs),
      exited: () => ({ ...exits }),
      stop: async ({ deleteTopics = false, admin: topicAdmin = admin } = {}) => {
        const codes = await stopAll();
        if (deleteTopics) {
          const mine = (await topicAdmin.listTopics()).filter((t) => t.startsWith(`${runId}.`) || Object.values(recipients).includes(t));
          await topicAdmin.deleteTopics(mine).catch(() => {});
        }
        return codes;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Removes a run's temporary directory (test keys included). Its logs go with it: call when done reading them. */
export function removeRunDir(services: RunningServices): void {
  rmSync(services.dir, { recursive: true, force: true });
}

/** N generated raw register events as JSON lines (`npm run generate`'s generator, seeded, realistic mix). */
export function generateRawLines(total: number, seed = 7): string[] {
  const lines: string[] = [];
  for (const event of generateRegisterEvents({ seed, total })) lines.push(JSON.stringify(event));
  return lines;
}

/** Sends raw lines to a topic keyed as the register does (rawPersonKey), `batch` per request; returns when all were accepted. */
export async function produceRaw(bus: MessageBus, topic: string, lines: readonly string[], batch = 1000): Promise<void> {
  const producer = await bus.producer();
  try {
    for (let i = 0; i < lines.length; i += batch) {
      await producer.send(lines.slice(i, i + batch).map((line) => ({ topic, key: rawPersonKey(line), value: line })));
    }
  } finally {
    await producer.disconnect();
  }
}

/** A consumer group and the topic it reads (a service's, or a benchmark's own). */
export interface GroupTopic {
  group: string;
  topic: string;
}

export interface GroupPosition extends GroupTopic {
  /** records committed (sum over partitions) and the topic's end (sum of high watermarks) */
  committed: number;
  end: number;
  /** partitions whose committed offset is short of the end */
  behind: Array<{ partition: number; committed: bigint; end: bigint }>;
}

/** Where each group stands against the end of its topic. */
export async function groupPositions<G extends GroupTopic>(admin: Admin, groups: readonly G[]): Promise<Array<G & GroupPosition>> {
  return Promise.all(
    groups.map(async (g) => {
      const [committed, ends] = await Promise.all([admin.groupOffsets(g.group, g.topic), admin.topicOffsets(g.topic)]);
      const behind: GroupPosition['behind'] = [];
      let sumCommitted = 0;
      let sumEnd = 0;
      for (const e of ends) {
        const c = BigInt(committed.find((o) => o.partition === e.partition)?.offset ?? '-1');
        const at = c < 0n ? BigInt(e.low) : c;
        sumCommitted += Number(at);
        sumEnd += Number(e.high);
        if (e.high !== e.low && at < BigInt(e.high)) behind.push({ partition: e.partition, committed: at, end: BigInt(e.high) });
      }
      return { ...g, committed: sumCommitted, end: sumEnd, behind };
    }),
  );
}

/**
 * Committed records (transactional markers and aborted records do not count) between `from` and `to` of
 * the given partitions, read with a consumer of its own: how a benchmark tells a group stuck in front of a
 * trailing aborted transaction (nothing left to read: done) from one that really is behind.
 */
export async function recordsBetween(
  bus: MessageBus,
  topic: string,
  ranges: ReadonlyArray<{ partition: number; from: bigint; to: bigint }>,
  timeoutMs = 30_000,
): Promise<number> {
  const consumer = await bus.consumer({ groupId: `bench-probe-${randomBytes(4).toString('hex')}` });
  const open = new Map(ranges.map((r) => [r.partition, r]));
  let records = 0;
  consumer.onProgress((p) => {
    const range = open.get(p.partition);
    if (range && BigInt(p.lastOffset) >= range.to - 1n) open.delete(p.partition);
  });
  await consumer.subscribe([topic], { fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async (batch) => {
      const range = ranges.find((r) => r.partition === batch.partition);
      if (range) for (const m of batch.messages) if (BigInt(m.offset) >= range.from && BigInt(m.offset) < range.to) records++;
    },
  });
  const deadline = Date.now() + timeoutMs;
  let sought = false;
  while (open.size > 0) {
    if (!sought && consumer.assignment().length > 0) {
      // skip what lies before the ranges (reading it anyway would only be slower)
      for (const r of ranges) {
        try {
          consumer.seek({ topic, partition: r.partition, offset: r.from.toString() });
        } catch {}
      }
      sought = true;
    }
    if (Date.now() > deadline) {
      await consumer.disconnect();
      throw new Error(`probe of ${topic}: partitions ${[...open.keys()].join(', ')} not read to their end in ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await consumer.disconnect();
  return records;
}

/**
 * Waits until every group has committed to the end of its topic ("lag 0") and returns when that was
 * (performance.now()). A group that stops short for `stallMs` is probed: when nothing committed is left
 * between its offsets and the end (a trailing aborted transaction, or markers only), it counts as done at
 * the moment its offsets last moved. Throws after `timeoutMs` with where each group stands.
 */
export async function waitForLagZero(
  bus: MessageBus,
  admin: Admin,
  groups: readonly GroupTopic[],
  {
    timeoutMs = 600_000,
    stallMs = 3000,
    intervalMs = 100,
    ready,
    onPositions,
    onProbe,
  }: {
    timeoutMs?: number;
    stallMs?: number;
    intervalMs?: number;
    ready?: () => boolean;
    /** every poll's positions (for progress lines) */
    onPositions?: (positions: GroupPosition[]) => void;
    /** a group stopped short was probed: how many committed records were left (0: counted as done) */
    onProbe?: (group: GroupPosition, recordsLeft: number) => void;
  } = {},
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  const lastMove = new Map<string, { committed: number; at: number }>();
  const doneAt = new Map<string, number>();
  /** groups a probe found nothing left for, at the position (committed/end) it probed */
  const probed = new Map<string, string>();
  let last: GroupPosition[] = [];
  for (;;) {
    const now = performance.now();
    last = await groupPositions(admin, groups);
    onPositions?.(last);
    for (const g of last) {
      const seen = lastMove.get(g.group);
      if (!seen || seen.committed !== g.committed) lastMove.set(g.group, { committed: g.committed, at: now });
      const moved = lastMove.get(g.group) as { at: number };
      if (g.behind.length === 0) {
        if (!doneAt.has(g.group)) doneAt.set(g.group, now);
      } else if (probed.get(g.group) === `${g.committed}/${g.end}`) doneAt.set(g.group, moved.at);
      else doneAt.delete(g.group);
    }
    // a stalled group is probed only once what feeds it is done (and, with `ready`, everything was sent)
    const upstreamDone = (i: number) => last.slice(0, i).every((g) => doneAt.has(g.group));
    for (const [i, g] of last.entries()) {
      const moved = lastMove.get(g.group) as { at: number };
      if (doneAt.has(g.group) || now - moved.at < stallMs || !upstreamDone(Math.min(i, 2)) || (ready && !ready())) continue;
      const left = await recordsBetween(
        bus,
        g.topic,
        g.behind.map((b) => ({ partition: b.partition, from: b.committed, to: b.end })),
      );
      onProbe?.(g, left);
      if (left === 0) {
        probed.set(g.group, `${g.committed}/${g.end}`);
        doneAt.set(g.group, moved.at);
      } else lastMove.set(g.group, { committed: g.committed, at: performance.now() }); // probe again after another stall
    }
    if ((!ready || ready()) && last.every((g) => doneAt.has(g.group))) return Math.max(...doneAt.values());
    if (performance.now() > deadline) {
      throw new Error(
        `not every group at lag 0 after ${timeoutMs} ms: ${last
          .filter((g) => !doneAt.has(g.group))
          .map((g) => `${g.group} ${g.committed}/${g.end}`)
          .join(', ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
