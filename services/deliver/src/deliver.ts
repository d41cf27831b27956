import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { amsterdamEpochDay } from '@register-feeds/register-model';
import {
  type ConfigOf,
  type Logger,
  type MessageBus,
  type SchemaRegistryClient,
  type TopicEntry,
  topics,
} from '@register-feeds/service-kit';
import { createApiServer } from './api/server.ts';
import type { settings } from './config.ts';
import { type RunningProjection, startProjection } from './projection-runner.ts';
import { ggd, stagemarkt, svb } from './projections/index.ts';

export type DeliverConfig = ConfigOf<typeof settings>;

export interface Deliver {
  projections: ReadonlyMap<string, RunningProjection>;
  /** where the read API listens */
  url: string;
  stop(): Promise<void>;
}

/**
 * The deliver service: the three projections (Stagemarkt, SVB, GGD) kept from their recipient topics,
 * their compacted feeds, and the read API over them. `clock` gives "today" for the GGD sweep; tests move it.
 */
export async function startDeliver({
  config,
  bus,
  registry,
  logger,
  clock = Date.now,
}: {
  config: DeliverConfig;
  bus: MessageBus;
  registry: SchemaRegistryClient;
  logger: Logger;
  clock?: () => number;
}): Promise<Deliver> {
  const admin = await bus.admin();
  const common = {
    bus,
    admin,
    registry,
    deadLetterTopic: topics.deliverDeadLetter.name,
    replicationFactor: config.replicationFactor,
    logger,
  };
  const feedOf = (recipient: string, entry: TopicEntry): TopicEntry => ({ ...entry, name: `${config.feedPrefix}${recipient}.v1` });
  let lastSweep = 0;
  const sweepDue = () => clock() - lastSweep >= config.ggdSweepMinutes * 60_000;

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
      // students who turned 18 leave the lists in the same transaction as the next batch
      beforeBatch: (state) => {
        if (!sweepDue()) return [];
        lastSweep = clock();
        return ggd.sweep(state as never, amsterdamEpochDay(lastSweep));
      },
    }),
  ]);
  await admin.disconnect();
  const projections = new Map(running.map((p) => [p.recipient, p]));

  const server: Server = createApiServer({
    projections,
    tokens: config.apiTokens,
    // GGD lists are read as they stand on a reference date: today unless ?peildatum= says otherwise
    rowsOn: (recipient, state, peildatum) =>
      recipient === ggd.recipient ? ggd.rowsOn(state as never, peildatum ? epochDayOf(peildatum) : amsterdamEpochDay(clock())) : undefined,
    ready: () => true,
    logger,
  });
  await new Promise<void>((resolve) => server.listen(config.httpPort, config.httpHost, resolve));
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

function epochDayOf(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / 86_400_000);
}
