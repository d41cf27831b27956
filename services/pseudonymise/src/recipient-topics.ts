import type { Agreement } from './agreement.ts';

// Kafka's topic-name alphabet; the whole name may be at most 249 characters, which the broker checks.
const TOPIC_CHARACTERS = /^[A-Za-z0-9._-]*$/;

/**
 * RECIPIENT_TOPIC_PREFIX: put before every agreement's output topic. An agreement names the production
 * topic (recipient.<id>.v<N>, checked by the parser); a test or a second environment on the same cluster
 * sets a prefix so that its topics are its own and never look like production ones.
 */
export function asTopicPrefix(raw: string): string {
  if (!TOPIC_CHARACTERS.test(raw)) throw new Error('expected a topic-name prefix: letters, digits, ".", "_" and "-" only');
  return raw;
}

/** The agreements as this process delivers them: each output topic behind the prefix (empty: as reviewed). */
export function underTopicPrefix(agreements: readonly Agreement[], prefix: string): Agreement[] {
  return agreements.map((a) => (prefix === '' ? a : { ...a, output: { ...a.output, topic: `${prefix}${a.output.topic}` } }));
}
