import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { amsterdamEpochDay, type EpochDay } from '@register-feeds/register-model';
import {
  type ConfigOf,
  type Logger,
  type MessageBus,
  type SchemaRegistryClient,
  type TopicEntry,
  topicSpec,
  topics,
} from '@register-feeds/service-kit';
import { createApiServer } from './api/server.ts';
import type { settings } from './config.ts';
import { type RunningProjection, startProjection } from './projection-runner.ts';
import { type GgdState, ggd, stagemarkt, svb } from './projections/index.ts';

export type DeliverConfig = ConfigOf<typeof settings>;

export interface Deliver {
  projections: ReadonlyMap<string, RunningProjection>;
  /** where the read API listens */
  url: string;
  stop(): Promise<void>;
}

/**
 * The day a GGD list is read on: the peildatum asked for, but never a day before today. The GGD may hold
 * a student only while they are under 18 today; a list on an earlier date would show students who have
 * turned 18 since. Age only grows, so reading on the later of the two days leaves out everyone 18 or
 * older today and, for a future peildatum, everyone 18 or older on it.
 */
export function ggdReadDay(peildatum: EpochDay | undefined, today: EpochDay): EpochDay {
  return peildatum === undefined ? today : Math.max(peildatum, today);
}

/** The read API's rows on a reference date: GGD lists on ggdReadDay, today from the clock (Europe/Amsterdam). */
export function rowsOnReferenceDate(clock: () => number) {
  return (recipient: string, state: unknown, peildatum: EpochDay | undefined): Iterable<[string, unknown]> | undefined =>
    recipient === ggd.recipient ? ggd.rowsOn(state as GgdState, ggdReadDay(peildatum, amsterdamEpochDay(clock()))) : undefined;
}

/**
 * The deliver service: the three projections (Stagemarkt, SVB, GGD) kept from their recipient topics,
 * their compacted feeds, and the read API over them. `clock` gives "today" for the GGD sweep, the GGD
 * reads and the feed timestamps; tests move it. `sweepEveryMs` (default GGD_SWEEP_MINUTES) is how often
 * the GGD sweep runs on its own timer; tests shorten it.
 */
export async function startDeliver({
  config,
  bus,
  registry,
  logger,
  clock = Date.now,
  sweepEveryMs = config.ggdSweepMinutes * 60_000,
}: {
  config: DeliverConfig;
  bus: MessageBus;
  registry: SchemaRegistryClient;
  logger: Logger;
  clock?: () => number;
  sweepEveryMs?: number;
}): Promise<Deliver> {
  const admin = await bus.admin();
  // deliver owns its dead-letter topic: without it, a batch with a record that can never be read fails its
  // transaction for ever ("does not host this topic-partition") and the projection stops at that record
  await admin.ensureTopics([topicSpec({ ...topics.deliverDeadLetter, name: config.deadLetterTopic }, config.replicationFactor)]);
  const common = {
    bus,
    admin,
    registry,
    deadLetterTopic: config.deadLetterTopic,
    replicationFactor: config.replicationFactor,
    logger,
    clock,
  };
  const feedOf = (recipient: string, entry: TopicEntry): TopicEntry => ({ ...entry, name: `${config.feedPrefix}${recipient}.v1` });

  const running = await Promise.all([
    startProjection({
      ...common,
      projection: stagemarkt,
      inputTopic: config.stagemarktTopic,
      feed: feedOf(stagemarkt.recipient, topics.feedStagemarkt),
      groupId: `${config.groupPrefix}-${stagemarkt.recipient}`,
    }),
    startProjection({
      ...common,
      projection: svb,
      inputTopic: config.svbTopic,
      feed: feedOf(svb.recipient, topics.feedSvb),
      groupId: `${config.groupPrefix}-${svb.recipient}`,
    }),
    startProjection({
      ...common,
      projection: ggd,
      inputTopic: config.ggdTopic,
      feed: feedOf(ggd.recipient, topics.feedGgd),
      groupId: `${config.groupPrefix}-${ggd.recipient}`,
      // Students who turned 18 leave the lists: before every batch (in its transaction; after a restore
      // from the feed this comes before any record is applied) and on a timer of its own when no record
      // comes. A sweep on a day already swept changes nothing and costs next to nothing.
      housekeeping: { changes: (state) => ggd.sweep(state as GgdState, amsterdamEpochDay(clock())), everyMs: sweepEveryMs },
    }),
  ]);
  await admin.disconnect();
  const projections = new Map(running.map((p) => [p.recipient, p]));
  // the first sweep at once: whoever turned 18 while deliver was down leaves the feed now, not in an hour
  await projections
    .get(ggd.recipient)
    ?.tick()
    .catch((error: unknown) => logger.warn({ err: error }, 'the first GGD sweep failed; the timer tries again'));

  const server: Server = createApiServer({
    projections,
    tokens: config.apiTokens,
    metricsToken: config.metricsToken,
    // GGD lists are read as they stand on a reference date, never one before today
    rowsOn: rowsOnReferenceDate(clock),
    ready: () => bus.healthy?.() ?? true, // red once a consumer gave up restarting (the service then exits with 1)
    logger,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject); // a port in use ends the start with an error, not an unhandled event
    server.listen(config.httpPort, config.httpHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.httpHost}:${port}`;
  logger.info({ url }, 'deliver running');
  return {
    projections,
    url,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled(running.map((p) => p.stop()));
    },
  };
}
