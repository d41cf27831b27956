/**
 * The Kafka principals and ACLs of the system, in one place, derived from the topic catalogue, the
 * agreements (agreements/*.yaml: each recipient and its output topic) and deliver's projections file (which
 * recipient topics it reads and which feeds it writes). Nothing here is listed by hand per recipient: a new
 * agreement is a new principal with its ACLs.
 *
 *   node stack/acls.ts principals   one principal name a line: the services, then the recipients
 *   node stack/acls.ts list         the ACLs as kafka-acls.sh commands (for an operator, or a cluster without this tool)
 *   node stack/acls.ts table        the ACLs as a Markdown table (README)
 *   node stack/acls.ts apply        creates them through the Kafka admin API, as the principal of
 *                                   KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD_FILE (a super user), over TLS
 *                                   with KAFKA_SSL_CA_FILE; idempotent
 *
 * Names follow the services' own settings (same env names and defaults): INGEST_GROUP_ID,
 * PSEUDONYMISE_GROUP_ID, DELIVER_GROUP_PREFIX, FEED_TOPIC_PREFIX, DELIVER_LEASE_TOPIC, AGREEMENTS_DIR,
 * DELIVER_PROJECTIONS_FILE. Principals are User:<name>; a recipient's name is its agreement's recipient id.
 * Read, Write and Create imply Describe in Kafka, so Describe is not listed separately.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { commonSettings, kafkaAuthFromSettings, loadConfig, topics } from '@register-feeds/service-kit';
import kafkajs from 'kafkajs';
import { parse } from 'yaml';

// kafkajs is CommonJS: its enums are not named exports under Node's ESM loader
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } = kafkajs;

export type ResourceKind = 'topic' | 'group' | 'transactional-id' | 'cluster';
export type Operation = 'read' | 'write' | 'create' | 'idempotent-write';

export interface Acl {
  principal: string;
  resource: ResourceKind;
  /** the resource's name, or its prefix when `prefixed` */
  name: string;
  prefixed: boolean;
  operation: Operation;
}

export interface Recipient {
  /** the agreement's recipient id, also its principal's name */
  id: string;
  /** the topic pseudonymise writes its records to (the agreement's output.topic) */
  topic: string;
  /** its feed, when deliver keeps a projection for it */
  feed?: string;
}

export interface AclInputs {
  recipients: Recipient[];
  /** recipient topics deliver reads (its projections' inputs) */
  deliverInputs: string[];
  feedPrefix: string;
  leaseTopic: string;
  groups: { ingest: string; pseudonymise: string; deliver: string; replay: string };
}

/** The system's own principals; `register` is whatever writes the register's raw events (the register's
 * connector, `npm run publish`, `npm run generate`). */
export const SERVICES = ['ingest', 'pseudonymise', 'deliver', 'replay', 'register'] as const;

/** Topics replay may create and write besides the raw topic (import): copies go to topics of this prefix. */
export const REPLAY_TARGET_PREFIX = 'replay.';

/** Every ACL of the system, services first. Pure: the inputs decide everything. */
export function aclsFor(inputs: AclInputs): Acl[] {
  const acls: Acl[] = [];
  const add = (principal: string, resource: ResourceKind, name: string, operations: Operation[], prefixed = false) => {
    for (const operation of operations) acls.push({ principal, resource, name, prefixed, operation });
  };
  // a service that produces at all does so idempotently (kafkajs-bus), which is a cluster-level right
  const producer = (principal: string) => add(principal, 'cluster', 'kafka-cluster', ['idempotent-write']);
  // groups: the service's own and the throw-away ones it reads with (followTopic: "<group>-<uuid>");
  // transactional ids: "<group>-<topic>-<partition>" (transactional-pipeline) and deliver's feed writers
  const groupAndTransactions = (principal: string, group: string) => {
    add(principal, 'group', group, ['read'], true);
    add(principal, 'transactional-id', `${group}-`, ['write'], true);
  };

  const { groups } = inputs;
  // each service creates the topics it uses at start (ensureTopics), its input among them
  add('ingest', 'topic', topics.raw.name, ['read', 'create']);
  for (const name of [topics.events.name, topics.rawDeadLetter.name]) add('ingest', 'topic', name, ['write', 'create']);
  add('ingest', 'topic', topics.ingestSeen.name, ['read', 'write', 'create']); // rebuilt from itself at start
  groupAndTransactions('ingest', groups.ingest);
  producer('ingest');

  add('pseudonymise', 'topic', topics.events.name, ['read', 'create']);
  for (const name of [topics.eventsDeadLetter.name, topics.audit.name, ...inputs.recipients.map((r) => r.topic)])
    add('pseudonymise', 'topic', name, ['write', 'create']);
  groupAndTransactions('pseudonymise', groups.pseudonymise);
  producer('pseudonymise');

  for (const name of inputs.deliverInputs) add('deliver', 'topic', name, ['read']);
  // feeds are read back at start (restore) and written in transactions; the lease topic decides the writer
  for (const name of [...inputs.recipients.flatMap((r) => (r.feed ? [r.feed] : [])), inputs.leaseTopic])
    add('deliver', 'topic', name, ['read', 'write', 'create']);
  add('deliver', 'topic', topics.deliverDeadLetter.name, ['write', 'create']);
  groupAndTransactions('deliver', groups.deliver);
  producer('deliver');

  // replay exports and decodes any topic of the system, imports into the raw topic and copies into replay.*
  const readable = [...Object.values(topics).map((t) => t.name), ...inputs.recipients.map((r) => r.topic)];
  for (const name of new Set(readable)) add('replay', 'topic', name, ['read']);
  add('replay', 'topic', topics.raw.name, ['write']);
  add('replay', 'topic', REPLAY_TARGET_PREFIX, ['read', 'write', 'create'], true);
  add('replay', 'group', groups.replay, ['read'], true);
  producer('replay');

  add('register', 'topic', topics.raw.name, ['write']);
  producer('register');

  // a recipient reads its own topic and its own feed, with groups of its own ("<id>" or "<id>.<anything>":
  // ids have no dots, so no recipient's prefix covers another's groups), and nothing else
  for (const r of inputs.recipients) {
    add(r.id, 'topic', r.topic, ['read']);
    if (r.feed) add(r.id, 'topic', r.feed, ['read']);
    add(r.id, 'group', r.id, ['read']);
    add(r.id, 'group', `${r.id}.`, ['read'], true);
  }
  return acls;
}

export function principalsOf(inputs: AclInputs): string[] {
  return [...SERVICES, ...inputs.recipients.map((r) => r.id)];
}

const RECIPIENT_ID = /^[a-z0-9][a-z0-9-]*$/;

/** Reads the agreements and deliver's projections file; the env names and defaults are the services'. */
export function loadAclInputs(root: string, env: Record<string, string | undefined> = process.env): AclInputs {
  const agreementsDir = resolve(root, env.AGREEMENTS_DIR || 'agreements');
  const feedPrefix = env.FEED_TOPIC_PREFIX || 'feed.';
  const projectionsFile = resolve(root, env.DELIVER_PROJECTIONS_FILE || 'services/deliver/projections.yaml');
  const projections = (parse(readFileSync(projectionsFile, 'utf8')) as { projections?: Array<{ recipient: string; input: string }> })
    .projections;
  if (!Array.isArray(projections)) throw new Error(`${projectionsFile}: expected a list under "projections"`);
  const projected = new Set(projections.map((p) => p.recipient));
  const recipients: Recipient[] = readdirSync(agreementsDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const agreement = parse(readFileSync(join(agreementsDir, file), 'utf8')) as { recipient?: unknown; output?: { topic?: unknown } };
      const id = agreement.recipient;
      const topic = agreement.output?.topic;
      if (typeof id !== 'string' || !RECIPIENT_ID.test(id))
        throw new Error(`${file}: expected a recipient id (lower-case letters, digits, hyphens)`);
      if (typeof topic !== 'string' || topic === '') throw new Error(`${file}: expected output.topic`);
      if ((SERVICES as readonly string[]).includes(id)) throw new Error(`${file}: recipient id ${id} is a service's principal`);
      return { id, topic, ...(projected.has(id) ? { feed: `${feedPrefix}${id}.v1` } : {}) };
    });
  return {
    recipients,
    deliverInputs: projections.map((p) => p.input),
    feedPrefix,
    leaseTopic: env.DELIVER_LEASE_TOPIC || 'register.deliver.writers.v1',
    groups: {
      ingest: env.INGEST_GROUP_ID || 'ingest',
      pseudonymise: env.PSEUDONYMISE_GROUP_ID || 'pseudonymise',
      deliver: env.DELIVER_GROUP_PREFIX || 'deliver',
      replay: 'replay',
    },
  };
}

const OPERATION_NAME: Record<Operation, string> = { read: 'Read', write: 'Write', create: 'Create', 'idempotent-write': 'IdempotentWrite' };

/** kafka-acls.sh commands: one per principal and resource, with every operation it gets there. */
export function aclCommands(acls: Acl[]): string[] {
  const grouped = new Map<string, { acl: Acl; operations: Operation[] }>();
  for (const acl of acls) {
    const key = [acl.principal, acl.resource, acl.name, acl.prefixed].join('\u0000');
    const entry = grouped.get(key) ?? { acl, operations: [] };
    entry.operations.push(acl.operation);
    grouped.set(key, entry);
  }
  return [...grouped.values()].map(({ acl, operations }) => {
    const resource =
      acl.resource === 'cluster'
        ? '--cluster'
        : `--${acl.resource} '${acl.name}'${acl.prefixed ? ' --resource-pattern-type prefixed' : ''}`;
    const ops = operations.map((op) => `--operation ${OPERATION_NAME[op]}`).join(' ');
    return `kafka-acls.sh --bootstrap-server "$KAFKA_BROKERS" --command-config admin.properties --add --allow-principal User:${acl.principal} ${ops} ${resource}`;
  });
}

/** The ACLs per principal, as a Markdown table. */
export function aclTable(acls: Acl[]): string {
  const byPrincipal = new Map<string, Acl[]>();
  for (const acl of acls) byPrincipal.set(acl.principal, [...(byPrincipal.get(acl.principal) ?? []), acl]);
  const rows = [...byPrincipal].map(([principal, list]) => {
    const cell = (kind: ResourceKind) => {
      const byName = new Map<string, string[]>();
      for (const acl of list.filter((a) => a.resource === kind)) {
        const name = kind === 'cluster' ? 'cluster' : `\`${acl.name}${acl.prefixed ? '*' : ''}\``;
        byName.set(name, [...(byName.get(name) ?? []), OPERATION_NAME[acl.operation]]);
      }
      return [...byName].map(([name, ops]) => `${name} (${ops.join(', ')})`).join('<br>') || '—';
    };
    return `| \`User:${principal}\` | ${cell('topic')} | ${cell('group')} | ${cell('transactional-id')} | ${cell('cluster')} |`;
  });
  return [
    '| principal | topics | consumer groups | transactional ids | cluster |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    '`*`: a prefix. Read, Write and Create include Describe. The super user `User:admin` (the stack and the registry) is not in the table.',
  ].join('\n');
}

const RESOURCE_TYPE = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  'transactional-id': AclResourceTypes.TRANSACTIONAL_ID,
  cluster: AclResourceTypes.CLUSTER,
} as const;
const OPERATION_TYPE = {
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  create: AclOperationTypes.CREATE,
  'idempotent-write': AclOperationTypes.IDEMPOTENT_WRITE,
} as const;

/** Creates the ACLs through the admin API (kafkajs); an ACL that exists already is left as it is. */
export async function applyAcls(acls: Acl[], env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = loadConfig(commonSettings, env);
  const auth = kafkaAuthFromSettings(config);
  const kafka = new Kafka({
    clientId: 'stack-acls',
    brokers: config.kafkaBrokers,
    logLevel: logLevel.WARN,
    ...(auth ? { sasl: { mechanism: auth.mechanism, username: auth.username, password: auth.password } } : {}),
    // the secured stack's TLS, verified against its CA (KAFKA_SSL_CA_FILE), as the services' bus does
    ...(auth?.tls ? { ssl: { ca: [auth.tls.ca] } } : {}),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createAcls({
      acl: acls.map((acl) => ({
        resourceType: RESOURCE_TYPE[acl.resource],
        resourceName: acl.name,
        resourcePatternType: acl.prefixed ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
        principal: `User:${acl.principal}`,
        host: '*',
        operation: OPERATION_TYPE[acl.operation],
        permissionType: AclPermissionTypes.ALLOW,
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

if (import.meta.main) {
  const root = resolve(import.meta.dirname, '..');
  const inputs = loadAclInputs(root);
  const acls = aclsFor(inputs);
  const command = process.argv[2];
  if (command === 'principals') process.stdout.write(`${principalsOf(inputs).join('\n')}\n`);
  else if (command === 'list') process.stdout.write(`${aclCommands(acls).join('\n')}\n`);
  else if (command === 'table') process.stdout.write(`${aclTable(acls)}\n`);
  else if (command === 'apply') {
    await applyAcls(acls);
    process.stdout.write(`applied ${acls.length} ACLs for ${principalsOf(inputs).length} principals\n`);
  } else {
    process.stderr.write('usage: node stack/acls.ts principals|list|table|apply\n');
    process.exit(2);
  }
}
