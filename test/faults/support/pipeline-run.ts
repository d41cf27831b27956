import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAgreements } from '@register-feeds/pseudonymise';
import { type Admin, createKafkajsBus, createLogger, type MessageBus } from '@register-feeds/service-kit';
import { copyAgreements } from '../../support/agreements.ts';
import { ingestPartitionKeyFile } from '../../support/ingest-key.ts';
import type { FaultStack } from './fault-stack.ts';
import { type Publisher, publishSteadily } from './load.ts';
import { type Instance, type ServiceName, supervise } from './services.ts';

/** The recipients deliver keeps a projection of (services/deliver/projections.yaml), and each one's kind. */
export const DELIVERED: Record<string, string> = {
  'sbb-stagemarkt': 'stagemarkt',
  'svb-kostendelersnorm': 'svb',
  'ggd-jeugdgezondheid': 'ggd',
};

let runs = 0;

/**
 * One run of the whole pipeline (ingest, pseudonymise, deliver as child processes) on topics and groups of
 * its own, fed the suite's load at a steady rate. Progress is watched through the broker's committed
 * offsets (kafkajs admin: only to know when to look); what came out is checked elsewhere, with Java.
 */
export class PipelineRun {
  readonly id: string;
  readonly raw: string;
  readonly events: string;
  readonly deadLetters: { raw: string; events: string; deliver: string };
  readonly recipientTopics: Record<string, string>;
  readonly feeds: Record<string, string>;
  readonly groups: Array<{ group: string; topic: string }>;
  readonly env: Record<ServiceName, Record<string, string>>;
  readonly instances: Instance[] = [];
  publisher?: Publisher;
  readonly stack: FaultStack;
  readonly name: string;
  private bus: MessageBus;
  private admin?: Admin;

  constructor(stack: FaultStack, name: string, keysFile: string) {
    this.stack = stack;
    this.name = name;
    runs++;
    const slug = name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40);
    this.id = `f${runs}-${slug}-${randomBytes(2).toString('hex')}`;
    const id = this.id;
    const agreementsDir = copyAgreements(join(stack.home, 'agreements', id), 1000 + runs + Math.floor(Math.random() * 1e6) * 1000);
    const agreements = loadAgreements(agreementsDir);
    this.recipientTopics = Object.fromEntries(agreements.map((a) => [a.recipient, a.output.topic]));
    this.raw = `${id}.raw`;
    this.events = `${id}.events`;
    this.deadLetters = { raw: `${id}.raw-dlq`, events: `${id}.events-dlq`, deliver: `${id}.deliver-dlq` };
    this.feeds = Object.fromEntries(Object.keys(DELIVERED).map((r) => [r, `${id}.feed.${r}.v1`]));
    const common = {
      KAFKA_BROKERS: stack.brokers,
      SCHEMA_REGISTRY_URL: stack.registryUrl,
      LOG_LEVEL: 'info',
      TOPIC_REPLICATION_FACTOR: String(Math.min(3, stack.nodes)),
    };
    this.env = {
      ingest: {
        ...common,
        RAW_TOPIC: this.raw,
        EVENTS_TOPIC: this.events,
        RAW_DEAD_LETTER_TOPIC: this.deadLetters.raw,
        INGEST_SEEN_TOPIC: `${id}.seen`,
        INGEST_GROUP_ID: `${id}.ingest`,
        INGEST_PARTITION_KEY_FILE: ingestPartitionKeyFile(),
      },
      pseudonymise: {
        ...common,
        EVENTS_TOPIC: this.events,
        EVENTS_DEAD_LETTER_TOPIC: this.deadLetters.events,
        AUDIT_TOPIC: `${id}.audit`,
        PSEUDONYMISE_GROUP_ID: `${id}.pseudonymise`,
        PSEUDONYM_KEYS_FILE: keysFile,
        AGREEMENTS_DIR: agreementsDir,
      },
      deliver: {
        ...common,
        DELIVER_PROJECTIONS_FILE: this.projectionsFile(agreementsDir),
        DELIVER_LEASE_TOPIC: `${id}.deliver-writers`,
        DELIVER_DEAD_LETTER_TOPIC: this.deadLetters.deliver,
        FEED_TOPIC_PREFIX: `${id}.feed.`,
        DELIVER_GROUP_PREFIX: `${id}.deliver`,
        DELIVER_HTTP_PORT: '0',
        DELIVER_API_TOKENS: `sbb-stagemarkt:${randomBytes(24).toString('hex')}`,
      },
    };
    this.groups = [
      { group: `${id}.ingest`, topic: this.raw },
      { group: `${id}.pseudonymise`, topic: this.events },
      ...Object.keys(DELIVERED).map((r) => ({ group: `${id}.deliver-${r}`, topic: this.recipientTopics[r] ?? `(no agreement for ${r})` })),
    ];
    this.bus = createKafkajsBus({
      brokers: stack.brokers.split(','),
      clientId: `faults-${id}`,
      logger: createLogger({ service: 'faults', level: 'fatal' }),
    });
  }

  /** Deliver's projections file for this run: the repository's projections, on this run's recipient topics. */
  private projectionsFile(dir: string): string {
    const file = join(dir, '..', `${this.id}.projections.yaml`);
    const entries = Object.entries(DELIVERED).map(
      ([recipient, kind]) => `  - recipient: ${recipient}\n    kind: ${kind}\n    input: ${this.recipientTopics[recipient]}\n`,
    );
    writeFileSync(file, `projections:\n${entries.join('')}`);
    return file;
  }

  async connect(): Promise<Admin> {
    this.admin ??= await this.bus.admin();
    return this.admin;
  }

  logDir(): string {
    const dir = join(this.stack.home, 'logs', this.id);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** A new supervised instance of a service; `n` tells a second instance from the first in the logs. */
  instance(name: ServiceName, n = 1): Instance {
    const instance = supervise(name, `${name}-${n}`, this.env[name], this.logDir());
    this.instances.push(instance);
    instance.start();
    return instance;
  }

  first(name: ServiceName): Instance {
    const found = this.instances.find((i) => i.name === name && i.label === `${name}-1`);
    if (!found) throw new Error(`no first ${name}`);
    return found;
  }

  async start(lines: string[], perSecond: number): Promise<void> {
    const admin = await this.connect();
    await admin.ensureTopics([{ name: this.raw, partitions: 6, replicationFactor: Math.min(3, this.stack.nodes) }]);
    for (const name of ['ingest', 'pseudonymise', 'deliver'] as const) this.instance(name);
    this.loadSize = lines.length;
    this.publisher = publishSteadily(this.stack.brokers, this.raw, lines, perSecond);
  }

  /** Committed offset and end per group (undefined while the broker does not answer). */
  async progress(): Promise<Array<{ group: string; committed: number; end: number }> | undefined> {
    try {
      const admin = await this.connect();
      return await Promise.all(
        this.groups.map(async ({ group, topic }) => {
          const [committed, ends] = await Promise.all([admin.groupOffsets(group, topic), admin.topicOffsets(topic)]);
          return {
            group,
            committed: committed.reduce((n, c) => n + Math.max(0, Number(c.offset)), 0),
            end: ends.reduce((n, e) => n + Number(e.high), 0),
            caughtUp: ends.every((e) => e.high === e.low || committed.find((c) => c.partition === e.partition)?.offset === e.high),
          };
        }),
      ).then((rows) => rows.map(({ group, committed, end, caughtUp }) => ({ group, committed, end: caughtUp ? committed : end })));
    } catch {
      return undefined;
    }
  }

  /** Waits until the load has been sent and every group has committed to the end of its topic. */
  async caughtUp(timeoutMs: number): Promise<{ ok: boolean; behind: string[] }> {
    await this.publisher?.done;
    const deadline = Date.now() + timeoutMs;
    let behind: string[] = ['(no answer from the broker)'];
    while (Date.now() < deadline) {
      const rows = await this.progress();
      if (rows) {
        behind = rows.filter((r) => r.committed !== r.end).map((r) => `${r.group} ${r.committed}/${r.end}`);
        if (behind.length === 0) return { ok: true, behind };
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return { ok: false, behind };
  }

  /** Where each group's topic ended when a fault began: `recovered` measures against it. */
  async mark(): Promise<Map<string, number>> {
    for (;;) {
      const rows = await this.progress();
      if (rows) return new Map(rows.map((r) => [r.group, r.end]));
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Time to recover: from `since` (the end of a fault) until every group named (all by default) has
   * committed past the end its topic had when the fault began (`mark`). Only a consumer that works again
   * gets there: what a killed process had in flight ends before that mark, so a transaction it left
   * to complete cannot pass for recovery. A group with nothing more to read (the load was all sent and
   * it is at the end) counts as recovered.
   */
  async recovered(
    since: number,
    mark: Map<string, number>,
    groups: string[] = this.groups.map((g) => g.group),
    timeoutMs = 180_000,
  ): Promise<number | undefined> {
    const pending = new Set(groups);
    while (pending.size > 0) {
      if (Date.now() - since > timeoutMs) return undefined;
      for (const r of (await this.progress()) ?? [])
        if (
          pending.has(r.group) &&
          (r.committed > (mark.get(r.group) ?? 0) || (r.committed === r.end && this.publisher?.sent() === this.loadSize))
        )
          pending.delete(r.group);
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 100));
    }
    return Date.now() - since;
  }

  loadSize = 0;

  /** Waits until a group has committed at least `n` records. */
  async committed(group: string, n: number, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const row = (await this.progress())?.find((r) => r.group === group);
      if (row && row.committed >= n) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${group} did not commit ${n} records in ${timeoutMs} ms`);
  }

  group(name: 'ingest' | 'pseudonymise' | 'deliver'): string[] {
    return this.groups.filter((g) => g.group.startsWith(`${this.id}.${name}`)).map((g) => g.group);
  }

  /** SIGTERM to every instance still running; the exit codes. */
  async stop(): Promise<Array<{ label: string; code: number | string; ms: number }>> {
    await this.publisher?.stop();
    const out = await Promise.all(this.instances.filter((i) => i.alive()).map(async (i) => ({ label: i.label, ...(await i.terminate()) })));
    await this.admin?.disconnect().catch(() => {});
    return out;
  }

  async kill(): Promise<void> {
    await this.publisher?.stop();
    await Promise.all(this.instances.map((i) => i.kill9()));
    await this.admin?.disconnect().catch(() => {});
  }
}
