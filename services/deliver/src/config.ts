import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asInteger, asString, commonSettings, type Setting, topics } from '@register-feeds/service-kit';
import { ggd, stagemarkt, svb } from './projections/index.ts';
import { loadProjectionsFile, type ProjectionEntry } from './projections-file.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Recipients a token message may name: those of the shipped projections file. Which recipients a
 * running deliver serves is its projections file's business (assertTokensServe, at start); this list
 * only decides whether the text before a colon is safe to show (anything else may be a pasted token).
 */
export const RECIPIENTS: readonly string[] = [stagemarkt.recipient, svb.recipient, ggd.recipient];

/**
 * Every token must be for a recipient deliver keeps a projection for. Checked at start, once the
 * projections file is read; the entry is named by position, never by its text.
 */
export function assertTokensServe(tokens: ReadonlyMap<string, string>, served: readonly string[]): void {
  let index = 0;
  for (const recipient of tokens.values()) {
    index += 1;
    if (!served.includes(recipient)) {
      throw new Error(
        `DELIVER_API_TOKENS: entry ${index} of ${tokens.size}: not a recipient deliver keeps a projection for; expected one of ${served.join(', ')}`,
      );
    }
  }
}

const RECIPIENT_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

const MIN_TOKEN_LENGTH = 16;
const TOKEN = /^[A-Za-z0-9._~+/=-]+$/; // RFC 6750 token68: what can follow "Bearer " in a header

/**
 * "recipient:token,recipient:token": one bearer token per recipient for the read API. A secret: every
 * message names the entry by its position and, when it is one of RECIPIENTS, its recipient, never a
 * token. Any other text before the colon is not shown either: it may be a token pasted in the wrong place.
 */
export function asTokenList(raw: string): Map<string, string> {
  const tokens = new Map<string, string>();
  const recipients = new Set<string>();
  const entries = raw.split(',').map((e) => e.trim());
  entries.forEach((entry, index) => {
    const at = entry.indexOf(':');
    const recipient = at > 0 ? entry.slice(0, at) : '';
    const token = entry.slice(at + 1);
    const known = RECIPIENTS.includes(recipient);
    const which = `entry ${index + 1} of ${entries.length}${known ? ` (${recipient})` : ''}`;
    if (entry === '') throw new Error(`${which} is empty; expected recipient:token pairs, comma-separated`);
    if (at <= 0) throw new Error(`${which}: expected recipient:token`);
    // whether deliver serves it is checked at start against the projections file (assertTokensServe)
    if (!RECIPIENT_ID.test(recipient))
      throw new Error(`${which}: expected a recipient id (lower-case letters, digits, hyphens) before the colon`);
    if (token.length < MIN_TOKEN_LENGTH) throw new Error(`${which}: the token is shorter than ${MIN_TOKEN_LENGTH} characters`);
    if (!TOKEN.test(token)) throw new Error(`${which}: the token may hold only A-Z a-z 0-9 and . _ ~ + / = -`);
    if (recipients.has(recipient)) throw new Error(`${which}: ${recipient} has a token already`);
    if (tokens.has(token)) throw new Error(`${which}: the same token as ${tokens.get(token)}; every recipient needs its own`);
    tokens.set(token, recipient);
    recipients.add(recipient);
  });
  return tokens;
}

/** An optional secret token (unset: the feature it opens stays closed). Never quoted in a message. */
export function asOptionalToken(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (raw.length < MIN_TOKEN_LENGTH) throw new Error(`the token is shorter than ${MIN_TOKEN_LENGTH} characters`);
  if (!TOKEN.test(raw)) throw new Error('the token may hold only A-Z a-z 0-9 and . _ ~ + / = -');
  return raw;
}

/** RECIPIENT_TOPIC_PREFIX: Kafka's topic-name alphabet only (the broker checks the length of the whole name). */
export function asTopicPrefix(raw: string): string {
  if (!/^[A-Za-z0-9._-]*$/.test(raw)) throw new Error('expected a topic-name prefix: letters, digits, ".", "_" and "-" only');
  return raw;
}

/** Everything deliver reads from its environment; validated once in main.ts. */
export const settings = {
  ...commonSettings,
  projections: {
    env: 'DELIVER_PROJECTIONS_FILE',
    doc: 'file listing the projections deliver keeps, one per recipient: kind and input topic (relative paths from the repository root)',
    default: 'services/deliver/projections.yaml',
    parse: (raw: string): ProjectionEntry[] => loadProjectionsFile(resolve(REPO_ROOT, raw)),
  },
  recipientTopicPrefix: {
    env: 'RECIPIENT_TOPIC_PREFIX',
    doc: 'put before every input topic of the projections file, as pseudonymise puts it before every agreement’s output topic (unset: the file’s names as they are); STAGEMARKT_TOPIC, SVB_TOPIC and GGD_TOPIC are taken as given',
    default: '',
    parse: asTopicPrefix,
  },
  stagemarktTopic: {
    env: 'STAGEMARKT_TOPIC',
    doc: 'overrides the input topic of the sbb-stagemarkt projection (unset: the projections file’s)',
    default: '',
    parse: asString,
  },
  svbTopic: {
    env: 'SVB_TOPIC',
    doc: 'overrides the input topic of the svb-kostendelersnorm projection (unset: the projections file’s)',
    default: '',
    parse: asString,
  },
  ggdTopic: {
    env: 'GGD_TOPIC',
    doc: 'overrides the input topic of the ggd-jeugdgezondheid projection (unset: the projections file’s)',
    default: '',
    parse: asString,
  },
  deadLetterTopic: {
    env: 'DELIVER_DEAD_LETTER_TOPIC',
    doc: 'dead-letter topic for recipient records deliver can never read (created by deliver)',
    default: topics.deliverDeadLetter.name,
    parse: asString,
  },
  feedPrefix: {
    env: 'FEED_TOPIC_PREFIX',
    doc: 'compacted feed topics are <prefix><recipient>.v1',
    default: 'feed.',
    parse: asString,
  },
  groupPrefix: {
    env: 'DELIVER_GROUP_PREFIX',
    doc: 'consumer groups are <prefix>-<recipient> (and <prefix>-<recipient>-writer for the writer lease); instances with the same groups share the work',
    default: 'deliver',
    parse: asString,
  },
  leaseTopic: {
    env: 'DELIVER_LEASE_TOPIC',
    doc: 'one-partition topic whose consumer groups elect the one instance that folds a single-writer projection (svb, ggd); nothing is written to it',
    default: 'register.deliver.writers.v1',
    parse: asString,
  },
  httpHost: { env: 'DELIVER_HTTP_HOST', doc: 'address the read API listens on', default: '127.0.0.1', parse: asString },
  httpPort: { env: 'DELIVER_HTTP_PORT', doc: 'port of the read API (0: any free port)', default: '8090', parse: asInteger(0, 65535) },
  healthPort: {
    env: 'DELIVER_HEALTH_PORT',
    doc: 'port of /health, /ready (200 once every projection runs and has folded its recipient topic up to where it ended at start) and /metrics (Prometheus, no token) on 127.0.0.1; 0: none. `npm start` uses 8093; instances sharing a host each need their own',
    default: '0',
    parse: asInteger(0, 65535),
  },
  apiTokens: {
    env: 'DELIVER_API_TOKENS',
    doc: 'bearer tokens of the read API, "recipient:token,..." (from the environment, never the repo or argv)',
    parse: asTokenList,
    secret: true,
  },
  metricsToken: {
    env: 'DELIVER_METRICS_TOKEN',
    doc: 'the operator’s bearer token for GET/POST /admin/rebuild on the API port and `npm run rebuild` (unset: they answer 401 to everyone). The name is historic: /metrics is on DELIVER_HEALTH_PORT and needs no token',
    default: '',
    parse: asOptionalToken,
    secret: true,
  },
  ggdSweepMinutes: {
    env: 'GGD_SWEEP_MINUTES',
    doc: 'how often the GGD sweep runs on its own timer, dropping students who turned 18 from the feed (today, Europe/Amsterdam)',
    default: '60',
    parse: asInteger(1, 1440),
  },
  replicationFactor: {
    env: 'TOPIC_REPLICATION_FACTOR',
    doc: 'replication factor of topics the service creates (1 for the local stack)',
    default: '1',
    parse: asInteger(1, 5),
  },
} satisfies Record<string, Setting<unknown>>;
