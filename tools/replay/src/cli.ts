// The replay tool: export a topic to JSON Lines, import such a file, replay one topic into another, reset a
// consumer group. Progress and summaries go to stderr. Exit codes: 0 done, 1 failed, 2 usage, 3 refused
// (a topic whose class holds person data, without --allow-personal-data or --rekey; a rekeyed output that
// still holds a person of its source; a group with active members).
//
//   npm run replay -- export --topic register.raw.v1 --out raw.jsonl
import {
  CliExit,
  commonSettings,
  createKafkajsBus,
  createLogger,
  createSchemaRegistryClient,
  kafkaAuthOrExit,
  loadConfigOrExit,
} from '@register-feeds/service-kit';
import { type ParsedCommand, parseCommand } from './cli-options.ts';
import { exportTopic } from './commands/export.ts';
import { importFile } from './commands/import.ts';
import { replayTopic } from './commands/replay.ts';
import { GroupActiveError, resetGroup } from './commands/reset-group.ts';
import { type ReplayContext, UsageError } from './context.ts';
import { LeakFound } from './leak-scan.ts';
import { PersonDataRefused } from './person-data.ts';
import { CannotRekey } from './rekey.ts';

function commandOrExit(): ParsedCommand {
  try {
    return parseCommand(process.argv.slice(2));
  } catch (error) {
    // help shown (0) or a usage error written (2)
    if (error instanceof CliExit) process.exit(error.exitCode);
    throw error;
  }
}

const parsed = commandOrExit();
const config = loadConfigOrExit('replay', commonSettings);
const brokers = parsed.brokers ?? config.kafkaBrokers;
const logger = createLogger({ service: 'replay', level: 'warn', destination: process.stderr as never });
const ctx: ReplayContext = {
  bus: createKafkajsBus({ brokers, clientId: `${config.kafkaClientId}-replay`, logger, auth: kafkaAuthOrExit('replay', config) }),
  registry: createSchemaRegistryClient({ url: config.schemaRegistryUrl }),
  brokers,
  stderr: (text) => process.stderr.write(text),
  stdout: (text) => process.stdout.write(text),
  tty: process.stderr.isTTY === true,
  quiet: parsed.quiet === true,
};

try {
  switch (parsed.command) {
    case 'export':
      await exportTopic(ctx, parsed);
      break;
    case 'import':
      await importFile(ctx, parsed);
      break;
    case 'replay':
      await replayTopic(ctx, parsed);
      break;
    case 'reset-group':
      await resetGroup(ctx, parsed);
      break;
  }
  process.exit(0);
} catch (error) {
  if (
    error instanceof PersonDataRefused ||
    error instanceof LeakFound ||
    error instanceof GroupActiveError ||
    error instanceof CannotRekey
  ) {
    process.stderr.write(`replay: ${error.message}\n`);
    process.exit(3);
  }
  if (error instanceof UsageError) {
    process.stderr.write(`replay: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`replay: ${parsed.command} failed: ${(error as Error).message}\n`);
  process.exit(1);
}
