import { asInteger, asString, commonSettings, type Setting } from '@register-feeds/service-kit';

/** "recipient:token,recipient:token": one bearer token per recipient for the read API. */
export function asTokenList(raw: string): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.indexOf(':');
    const recipient = entry.slice(0, at);
    const token = entry.slice(at + 1);
    if (at <= 0 || token.length < 16) throw new Error('expected recipient:token pairs, comma-separated, each token at least 16 characters');
    if (tokens.has(token)) throw new Error('two recipients share a token');
    tokens.set(token, recipient);
  }
  return tokens;
}

/** Everything deliver reads from its environment; validated once in main.ts. */
export const settings = {
  ...commonSettings,
  stagemarktTopic: {
    env: 'STAGEMARKT_TOPIC',
    doc: 'S-BB recipient topic the Stagemarkt projection is built from',
    default: 'recipient.sbb-stagemarkt.v1',
    parse: asString,
  },
  svbTopic: {
    env: 'SVB_TOPIC',
    doc: 'SVB recipient topic the enrolment-span projection is built from',
    default: 'recipient.svb-kostendelersnorm.v1',
    parse: asString,
  },
  ggdTopic: {
    env: 'GGD_TOPIC',
    doc: 'GGD recipient topic the under-18 lists are built from',
    default: 'recipient.ggd-jeugdgezondheid.v1',
    parse: asString,
  },
  feedPrefix: {
    env: 'FEED_TOPIC_PREFIX',
    doc: 'compacted feed topics are <prefix><recipient>.v1',
    default: 'feed.',
    parse: asString,
  },
  groupPrefix: { env: 'DELIVER_GROUP_PREFIX', doc: 'consumer groups are <prefix>-<recipient>', default: 'deliver', parse: asString },
  httpHost: { env: 'DELIVER_HTTP_HOST', doc: 'address the read API listens on', default: '127.0.0.1', parse: asString },
  httpPort: { env: 'DELIVER_HTTP_PORT', doc: 'port of the read API (0: any free port)', default: '8090', parse: asInteger(0, 65535) },
  apiTokens: {
    env: 'DELIVER_API_TOKENS',
    doc: 'bearer tokens of the read API, "recipient:token,..." (secrets: from the environment, never the repo)',
    parse: asTokenList,
  },
  ggdSweepMinutes: {
    env: 'GGD_SWEEP_MINUTES',
    doc: 'how often the GGD lists drop students who turned 18 (against today, Europe/Amsterdam)',
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
