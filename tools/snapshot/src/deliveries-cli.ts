// The snapshot delivery scheduler, a command a cron calls (e.g. hourly): the deliveries the agreements'
// moments make due (agreements/*.yaml, `snapshots`), each made once.
//
//   npm run deliveries -- --due                 what is due and not yet delivered
//   npm run deliveries -- --run [--now ISO]     make them: files, audit entries, optionally topics
//
// The command line is in cli-options.ts (npm run deliveries -- --help). Progress goes to stderr, the list
// and the outcomes to stdout (one line per delivery, no person data).
// Exit codes: 0 done, 1 a delivery failed (the others were still made), 2 usage, 78 configuration.

import { resolve } from 'node:path';
import { type KeyStore, keyFileSource, settings } from '@register-feeds/pseudonymise';
import {
  asString,
  commonSettings,
  createProgress,
  createSchemaRegistryClient,
  loadConfigOrExit,
  type Progress,
  topics,
} from '@register-feeds/service-kit';
import { deliveriesCommandLine } from './cli-options.ts';
import { cliTool, commandLineOrExit } from './cli-support.ts';
import { type DeliveriesContext, type DeliveryOutcome, pendingDeliveries, runDeliveries } from './deliveries.ts';
import type { ScheduledDelivery } from './schedule.ts';

const deliverySettings = {
  ...commonSettings,
  eventsTopic: settings.eventsTopic,
  agreementsDir: settings.agreementsDir,
  keysFile: { ...settings.keysFile, default: '' },
  replicationFactor: settings.replicationFactor,
  deliveriesDir: {
    env: 'SNAPSHOT_DELIVERIES_DIR',
    doc: 'npm run deliveries: directory the snapshot files are delivered into, <recipient>/<peildatum>/<delivery date>.<format>',
    default: 'deliveries',
    parse: asString,
  },
  auditTopic: {
    env: 'SNAPSHOT_AUDIT_TOPIC',
    doc: 'npm run deliveries: the audit of snapshot deliveries, also their ledger (a delivery id there is never delivered again)',
    default: topics.snapshotDeliveries.name,
    parse: asString,
  },
};

const tool = cliTool('deliveries');

const describe = (d: ScheduledDelivery) =>
  `${d.id.padEnd(44)} ${d.kind.padEnd(11)} peildatum ${d.peildatum}, as known at ${new Date(d.knownAt).toISOString()}`;

function outcomeLine(outcome: DeliveryOutcome): string {
  switch (outcome.status) {
    case 'delivered':
      return `delivered          ${outcome.delivery.id}: ${outcome.rows} rows, ${outcome.file} (${outcome.bytes} bytes, sha256 ${outcome.sha256})${outcome.snapshotTopic ? `, topic ${outcome.snapshotTopic}` : ''}`;
    case 'already-delivered':
      return `already delivered  ${outcome.delivery.id}`;
    case 'taken-over':
      return `taken over         ${outcome.delivery.id}: another run claimed it and delivers it`;
    case 'failed':
      return `FAILED             ${outcome.delivery.id}: ${outcome.reason}`;
  }
}

async function main(): Promise<void> {
  const options = commandLineOrExit(() => deliveriesCommandLine(process.argv.slice(2)));

  const config = loadConfigOrExit('deliveries', deliverySettings);
  const agreements = tool.loadAgreements(config.agreementsDir);
  let keys: KeyStore | undefined;
  if (options.mode === 'run') {
    if (config.keysFile === '') tool.fail(78, 'PSEUDONYM_KEYS_FILE is not set: --run needs the recipients’ keys');
    keys = tool.loadKeys(() => keyFileSource({ path: config.keysFile, agreements, clock: () => options.now }).current());
  }

  const bus = tool.createBus(config, options.brokers);
  const admin = await bus.admin();
  let progress: { id: string; stage: string; line: Progress } | undefined;
  const stopProgress = () => {
    progress?.line.stop();
    progress = undefined;
  };
  const ctx: DeliveriesContext = {
    bus,
    admin,
    registry: createSchemaRegistryClient({ url: config.schemaRegistryUrl }),
    agreements,
    keys: keys ?? ({ recipients: () => [], keyFor: () => undefined } as unknown as KeyStore),
    outDir: resolve(options.out ?? config.deliveriesDir),
    format: options.format,
    historyTopic: config.eventsTopic,
    auditTopic: config.auditTopic,
    snapshotTopics: options.topics,
    replicationFactor: config.replicationFactor,
    ...(config.topicMinInsyncReplicas === undefined ? {} : { minInsyncReplicas: config.topicMinInsyncReplicas }),
    transactionalIdPrefix: 'snapshot-delivery',
    clock: Date.now,
    onProgress: (p) => {
      if (progress?.id !== p.delivery.id || progress.stage !== p.stage) {
        stopProgress();
        const label = `deliveries: ${p.delivery.id}: ${p.stage.replace('-', ' ')}`;
        progress = {
          id: p.delivery.id,
          stage: p.stage,
          line: createProgress({ label, unit: p.stage === 'reading-history' ? 'records' : 'rows' }),
        };
        if ('total' in p) progress.line.setTotal(p.total);
      }
      progress.line.update('records' in p ? p.records : p.rows);
    },
  };

  let failed = false;
  try {
    if (options.mode === 'due') {
      const { due, pending } = await pendingDeliveries(ctx, options.now);
      process.stdout.write(
        `${pending.length} of ${due.length} snapshot deliveries due at ${new Date(options.now).toISOString()} not yet delivered${pending.length > 0 ? ':' : ''}\n`,
      );
      for (const d of pending) process.stdout.write(`  ${describe(d)}\n`);
    } else {
      // each outcome as it happens: a long catch-up shows what is done already
      const outcomes = await runDeliveries(ctx, options.now, (outcome) => {
        stopProgress();
        process.stdout.write(`${outcomeLine(outcome)}\n`);
      });
      const count = (status: DeliveryOutcome['status']) => outcomes.filter((o) => o.status === status).length;
      process.stdout.write(
        `${count('delivered')} delivered, ${count('already-delivered')} already delivered, ${count('taken-over')} taken over by another run, ${count('failed')} failed (into ${ctx.outDir})\n`,
      );
      failed = count('failed') > 0;
    }
  } catch (error) {
    stopProgress();
    tool.fail(1, `${options.mode === 'due' ? 'listing' : 'delivering'} failed: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
  process.exit(failed ? 1 : 0);
}

if (import.meta.main) await main();
