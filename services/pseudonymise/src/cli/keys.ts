// Pseudonym keys on disk. The key file is a secret: never in the repo, never logged, mode 0600 from the
// moment it exists (created so, never chmod-ed later). Keys never travel in argv: only the file's path does,
// and a mistaken argument is never echoed (it could be a pasted key: service-kit's createCli).
//   npm run keys -- generate --file <path>            test/development keys for every agreement (refuses to overwrite)
//   npm run keys -- retire <recipient> --file <path>  crypto-shredding: remove every key version of one recipient
//   npm run keys -- retire-ended --file <path>        the same for every agreement whose term has ended (today, Amsterdam)
//   npm run keys -- shred <recipient> --file <path>   retire, and delete what DUO keeps of what the recipient received
//                                                     (its recipient topic and deliver's feed; KAFKA_BROKERS, FEED_TOPIC_PREFIX,
//                                                     RECIPIENT_TOPIC_PREFIX)
import { existsSync, readFileSync } from 'node:fs';
import {
  asString,
  commonSettings,
  createCli,
  createKafkajsBus,
  createLogger,
  kafkaAuthOrExit,
  loadConfig,
  nonEmpty,
  parseOrExit,
  replaceSecretFile,
  writeNewSecretFile,
} from '@register-feeds/service-kit';
import { settings } from '../config.ts';
import { retireEndedAgreements } from '../key-lifecycle.ts';
import { generateTestKeys, type KeyFile, parseKeyFile } from '../keys.ts';
import { loadAgreements } from '../load-agreements.ts';
import { underTopicPrefix } from '../recipient-topics.ts';
import { deleteReceivedData } from '../shred.ts';

const fail = (message: string): never => {
  process.stderr.write(`keys: ${message}\n`);
  process.exit(2);
};

type KeysCommand = 'generate' | 'retire' | 'retire-ended' | 'shred';
let command: KeysCommand | undefined;
let recipient: string | undefined;
const program = createCli({
  name: 'keys',
  usage: 'npm run keys --',
  description:
    'Pseudonym keys on disk (a secret: mode 0600 from its creation, never in the repository, never on a command line; only its path is).',
}).option('--file <path>', 'the key file (default PSEUDONYM_KEYS_FILE)', nonEmpty);
program
  .command('generate')
  .description('TEST keys for every agreement into a new file (refuses to overwrite one)')
  .action(() => {
    command = 'generate';
  });
program
  .command('retire')
  .description('crypto-shredding: remove every key version of one recipient')
  .argument('<recipient>', 'the recipient of an agreement')
  .action((name) => {
    command = 'retire';
    recipient = name;
  });
program
  .command('retire-ended')
  .description('the same for every agreement whose term has ended (today, Amsterdam)')
  .action(() => {
    command = 'retire-ended';
  });
program
  .command('shred')
  .description("retire, and delete what DUO keeps of what the recipient received (its recipient topic and deliver's feed)")
  .argument('<recipient>', 'the recipient of an agreement')
  .action((name) => {
    command = 'shred';
    recipient = name;
  });
// no command at all: the help, as `help` gives it
parseOrExit(program, process.argv.length > 2 ? process.argv.slice(2) : ['help']);

const file = program.opts().file ?? process.env.PSEUDONYM_KEYS_FILE;
if (!file) fail('say which key file: --file <path> (or PSEUDONYM_KEYS_FILE)');
const path = file as string;
const agreementsDir = loadConfig({ agreementsDir: settings.agreementsDir }).agreementsDir;

const serialise = (keys: KeyFile) => `${JSON.stringify(keys, null, 2)}\n`;

/** Writes the whole file anew (a fresh 0600 file) and renames it into place: a crash never leaves half a key file. */
function save(keys: KeyFile) {
  replaceSecretFile(path, serialise(keys));
}

function read(): KeyFile {
  parseKeyFile(readFileSync(path, 'utf8')); // validates, with messages that never quote a key
  return JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
}

function retire(keys: KeyFile, recipients: string[]) {
  for (const r of recipients) delete keys[r];
  save(keys);
  process.stdout.write(recipients.length ? `keys: retired ${recipients.join(', ')} in ${path}\n` : 'keys: nothing to retire\n');
}

switch (command) {
  case 'generate': {
    if (existsSync(path)) fail(`${path} exists; not overwriting keys (retire or move it first)`);
    const recipients = loadAgreements(agreementsDir).map((a) => a.recipient);
    try {
      writeNewSecretFile(path, serialise(generateTestKeys(recipients))); // created 0600, and only if it does not exist
    } catch (error) {
      fail(`cannot create ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    process.stdout.write(`keys: wrote TEST keys for ${recipients.join(', ')} to ${path}\n`);
    break;
  }
  case 'retire': {
    if (!recipient) fail('usage: keys retire <recipient> --file <path>');
    const keys = read();
    if (!(recipient! in keys)) fail(`${recipient} has no keys in ${path}`);
    retire(keys, [recipient as string]);
    break;
  }
  case 'retire-ended': {
    const keys = read();
    const { retired } = retireEndedAgreements(parseKeyFile(JSON.stringify(keys)), loadAgreements(agreementsDir), Date.now());
    retire(keys, retired);
    break;
  }
  case 'shred': {
    if (!recipient) fail('usage: keys shred <recipient> --file <path>');
    const agreement = loadAgreements(agreementsDir).find((a) => a.recipient === recipient);
    if (agreement === undefined) fail(`${recipient} has no agreement in ${agreementsDir}`);
    // the keys first: from the next batch on, a running pseudonymise delivers nothing more to it
    const keys = read();
    if (recipient! in keys) retire(keys, [recipient as string]);
    else process.stdout.write(`keys: ${recipient} has no keys left in ${path}\n`);
    const kafka = loadConfig({
      kafkaBrokers: commonSettings.kafkaBrokers,
      kafkaSaslMechanism: commonSettings.kafkaSaslMechanism,
      kafkaSaslUsername: commonSettings.kafkaSaslUsername,
      kafkaSaslPasswordFile: commonSettings.kafkaSaslPasswordFile,
      kafkaSslCaFile: commonSettings.kafkaSslCaFile,
      feedPrefix: { env: 'FEED_TOPIC_PREFIX', doc: 'deliver feed topics are <prefix><recipient>.v1', default: 'feed.', parse: asString },
      recipientTopicPrefix: settings.recipientTopicPrefix,
    });
    const bus = createKafkajsBus({
      brokers: kafka.kafkaBrokers,
      clientId: 'keys-shred',
      logger: createLogger({ service: 'keys', level: 'warn' }),
      auth: kafkaAuthOrExit('keys', kafka),
    });
    const admin = await bus.admin();
    try {
      // the recipient topic where pseudonymise wrote it: behind the same RECIPIENT_TOPIC_PREFIX
      const [delivered] = underTopicPrefix([agreement!], kafka.recipientTopicPrefix);
      const deleted = await deleteReceivedData(admin, delivered!, kafka.feedPrefix);
      process.stdout.write(`keys: deleted ${deleted.length > 0 ? deleted.join(', ') : 'no topics (none left)'}\n`);
    } finally {
      await admin.disconnect();
    }
    break;
  }
}
