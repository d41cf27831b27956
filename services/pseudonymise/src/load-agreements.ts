/**
 * Reads every agreement file of a directory, once, at start. The only part of agreement handling that
 * touches the file system; parsing and the checks across files are pure.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Agreement, AgreementError } from './agreement.ts';
import { parseAgreement } from './parse-agreement.ts';

/** Two files for one recipient (x.yaml and x.yml) would make which one applies a matter of chance. */
export function assertUniqueRecipients(agreements: readonly Agreement[]): void {
  const seen = new Map<string, string>();
  for (const agreement of agreements) {
    const earlier = seen.get(agreement.recipient);
    if (earlier !== undefined) {
      throw new AgreementError(agreement.source, [`recipient ${agreement.recipient} is already defined in ${earlier}`]);
    }
    seen.set(agreement.recipient, agreement.source);
  }
}

/** Every *.yaml / *.yml in dir, parsed and checked, sorted by recipient id. Throws AgreementError on the first bad file. */
export function loadAgreements(dir: string): Agreement[] {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  const agreements = files.map((file) => {
    const path = join(dir, file);
    return parseAgreement(readFileSync(path, 'utf8'), path);
  });
  assertUniqueRecipients(agreements);
  return agreements.sort((a, b) => (a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0));
}
