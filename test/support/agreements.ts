import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const REPO_AGREEMENTS = new URL('../../agreements', import.meta.url).pathname;

/**
 * The repository's agreement files copied into `dir`, for a test or a child process it starts with
 * AGREEMENTS_DIR. Their output topics stay the reviewed recipient.<id>.v<N>: a test gives pseudonymise (and
 * deliver, `keys shred`) RECIPIENT_TOPIC_PREFIX=testTopicPrefix(id), so the recipient topics it makes carry
 * its unique id and never a production-shaped name.
 *
 * With `version`, each output topic is renamed recipient.<id>.v<version> instead (the benchmarks and the
 * fault suite still name their recipient topics so; the fault suite runs a stack of its own).
 */
export function copyAgreements(dir: string, version?: number): string {
  cpSync(REPO_AGREEMENTS, dir, { recursive: true });
  if (version === undefined) return dir;
  for (const file of readdirSync(dir)) {
    const path = join(dir, file);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/topic: recipient\.([a-z-]+)\.v\d+/, `topic: recipient.$1.v${version}`));
  }
  return dir;
}

/** RECIPIENT_TOPIC_PREFIX of a test whose names are built on `id` (a uniqueName). */
export const testTopicPrefix = (id: string): string => `${id}.`;

/** Where pseudonymise with RECIPIENT_TOPIC_PREFIX=`prefix` writes an agreement's records. */
export const recipientTopicOf = (prefix: string, agreement: { output: { topic: string } }): string => `${prefix}${agreement.output.topic}`;
