// Pseudonym keys on disk. The key file is a secret: never in the repo, never logged, mode 0600.
//   npm run keys -- generate --file <path>            test/development keys for every agreement (refuses to overwrite)
//   npm run keys -- retire <recipient> --file <path>  crypto-shredding: remove every key version of one recipient
//   npm run keys -- retire-ended --file <path>        the same for every agreement whose term has ended (today, Amsterdam)
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '@register-feeds/service-kit';
import { settings } from '../config.ts';
import { retireEndedAgreements } from '../key-lifecycle.ts';
import { generateTestKeys, type KeyFile, parseKeyFile } from '../keys.ts';
import { loadAgreements } from '../load-agreements.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { file: { type: 'string' } } });
const [command, recipient] = positionals;
const file = values.file ?? process.env.PSEUDONYM_KEYS_FILE;
const fail = (message: string): never => {
  process.stderr.write(`keys: ${message}\n`);
  process.exit(2);
};
if (!file) fail('say which key file: --file <path> (or PSEUDONYM_KEYS_FILE)');
const path = file as string;
const agreementsDir = loadConfig({ agreementsDir: settings.agreementsDir }).agreementsDir;

/** Writes the whole file anew and renames it into place, so a crash never leaves half a key file. */
function save(keys: KeyFile) {
  writeFileSync(`${path}.tmp`, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
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
    save(generateTestKeys(recipients));
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
  default:
    fail('usage: keys generate|retire <recipient>|retire-ended --file <path>');
}
