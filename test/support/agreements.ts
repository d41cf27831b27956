import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const REPO_AGREEMENTS = new URL('../../agreements', import.meta.url).pathname;

/**
 * The repository's agreement files copied into `dir`, each output topic renamed recipient.<id>.v<version>,
 * so a test (or a child process it starts with AGREEMENTS_DIR) gets recipient topics of its own.
 */
export function copyAgreements(dir: string, version: number): string {
  cpSync(REPO_AGREEMENTS, dir, { recursive: true });
  for (const file of readdirSync(dir)) {
    const path = join(dir, file);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/topic: recipient\.([a-z-]+)\.v\d+/, `topic: recipient.$1.v${version}`));
  }
  return dir;
}
