import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { amsterdamEpochDay, type EpochDay } from '@register-feeds/register-model';
import { type ConfigOf, type Logger, type MessageBus, type SchemaRegistryClient, topicSpec, topics } from '@register-feeds/service-kit';
import { createApiServer } from './api/server.ts';
import { assertTokensServe, type settings } from './config.ts';
import { type RunningProjection, startProjection } from './projection-runner.ts';
import { ggd, type ProjectionKind, projectionKinds } from './projections/index.ts';
import type { ProjectionEntry } from './projections-file.ts';

export type DeliverConfig = ConfigOf<typeof settings>;

export interface Deliver {
  projections: ReadonlyMap<string, RunningProjection>;
  /** where the read API listens */
  url: string;
  /** what /ready says: every projection's consumers and follower run and no partition is halted */
  ready(): boolean;
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

type RowView = NonNullable<ProjectionKind['rowsOn']>;

/**
 * The read API's rows on a reference date, for the recipients whose kind has a view on a date (GGD lists,
 * read on ggdReadDay); today from the clock (Europe/Amsterdam). Without views: the shipped GGD recipient.
 */
export function rowsOnReferenceDate(
  clock: () => number,
  views: ReadonlyMap<string, RowView> = new Map([[ggd.recipient, projectionKinds.ggd.rowsOn]]),
) {
  return (recipient: string, state: unknown, peildatum: EpochDay | undefined): Iterable<[string, unknown]> | undefined =>
    views.get(recipient)?.(state, ggdReadDay(peildatum, amsterdamEpochDay(clock())));
}

/**
 * The projections deliver keeps: the projections file, each input topic behind RECIPIENT_TOPIC_PREFIX, or
 * set outright by STAGEMARKT_TOPIC, SVB_TOPIC or GGD_TOPIC where given.
 */
export function configuredProjections(
  config: Pick<DeliverConfig, 'projections' | 'recipientTopicPrefix' | 'stagemarktTopic' | 'svbTopic' | 'ggdTopic'>,
): ProjectionEntry[] {
  const overrides = new Map([
    ['sbb-stagemarkt', config.stagemarktTopic],
    ['svb-kostendelersnorm', config.svbTopic],
    ['ggd-jeugdgezondheid', config.ggdTopic],
  ]);
  return config.projections.map((entry) => ({
    ...entry,
    input: overrides.get(entry.recipient) || `${config.recipientTopicPrefix}${entry.input}`,
  }));
}

/**
 * The deliver service: one projection per entry of the projections file (DELIVER_PROJECTIONS_FILE), each
 * kept from its recipient topic as its kind says, with its compacted feed, and the read API over them.
 * `clock` gives "today" for housekeeping (the GGD sweep), the GGD reads and the feed timestamps; tests
 * move it. `sweepEveryMs` (default GGD_SWEEP_MINUTES) is how often housekeeping runs on its own timer;
 * tests shorten it.
 *
 * Instances with the same DELIVER_GROUP_PREFIX share the work (see projection-runner.ts: `shared`
 * projections split the partitions, a `single` one has one writer at a time) and each serves every row
 * from its own read replica of the feeds.
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
  const entries = configuredProjections(config);
  assertTokensServe(
    config.apiTokens,
    entries.map((e) => e.recipient),
  );
  const admin = await bus.admin();
  // deliver owns its dead-letter topic: without it, a batch with a record that can never be read fails its
  // transaction for ever ("does not host this topic-partition") and the projection stops at that record
  await admin.ensureTopics([topicSpec({ ...topics.deliverDeadLetter, name: config.deadLetterTopic }, config.replicationFactor)]);

  const started = await Promise.allSettled(
    entries.map((entry) => {
      const kind: ProjectionKind = projectionKinds[entry.kind];
      const today = () => amsterdamEpochDay(clock());
      const housekeeping = kind.housekeeping;
      return startProjection({
        bus,
        admin,
        registry,
        deadLetterTopic: config.deadLetterTopic,
        replicationFactor: config.replicationFactor,
        logger,
        clock,
        projection: kind.make(entry.recipient),
        inputTopic: entry.input,
        feed: { ...kind.feed, name: `${config.feedPrefix}${entry.recipient}.v1` },
        groupId: `${config.groupPrefix}-${entry.recipient}`,
        writers: kind.writers,
        leaseTopic: config.leaseTopic,
        // Housekeeping (students who turned 18 leave the GGD lists): before every batch (in its
        // transaction; after a restore from the feed this comes before any record is applied) and on a
        // timer of its own when no record comes. A sweep on a day already swept changes nothing.
        housekeeping: housekeeping && { changes: (state) => housekeeping(state, today()), everyMs: sweepEveryMs },
      });
    }),
  );
  await admin.disconnect();
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled(running.map((p) => p.stop()));
    throw failed.reason;
  }
  const projections = new Map(running.map((p) => [p.recipient, p]));
  // the first housekeeping at once: whoever turned 18 while deliver was down leaves the feed now, not in an hour
  for (const p of running) {
    await p
      .tick()
      .catch((error: unknown) =>
        logger.warn({ err: error, recipient: p.recipient }, 'the first housekeeping failed; the timer tries again'),
      );
  }

  const views = new Map(
    entries.flatMap((e): [string, RowView][] => {
      const view = (projectionKinds[e.kind] as ProjectionKind).rowsOn;
      return view ? [[e.recipient, view]] : [];
    }),
  );
  // red once a consumer gave up restarting (the service then exits with 1), or a projection's consumer or
  // follower stopped, or a partition halted at a record the projection throws on
  const ready = () => (bus.healthy?.() ?? true) && running.every((p) => p.ready());
  const server: Server = createApiServer({
    projections,
    tokens: config.apiTokens,
    adminToken: config.metricsToken,
    // GGD lists are read as they stand on a reference date, never one before today
    rowsOn: rowsOnReferenceDate(clock, views),
    ready,
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
  logger.info({ url, recipients: entries.map((e) => e.recipient) }, 'deliver running');
  return {
    projections,
    url,
    ready,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled(running.map((p) => p.stop()));
    },
  };
}
