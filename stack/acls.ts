/**
 * The Kafka principals and ACLs of the system, in one place, derived from the topic catalogue, the
 * agreements (agreements/*.yaml: each recipient and its output topic) and deliver's projections file (which
 * recipient topics it reads and which feeds it writes). Nothing here is listed by hand per recipient: a new
 * agreement is a new principal with its ACLs.
 *
 *   node stack/acls.ts principals     one principal name a line: the services, then the recipients whose
 *                                     agreement has not ended (a credential may be made before its term starts)
 *   node stack/acls.ts list           the ACLs as kafka-acls.sh commands (for an operator, or a cluster without this tool)
 *   node stack/acls.ts table          the ACLs as a Markdown table (README)
 *   node stack/acls.ts term R         the state of recipient R's agreement today: running, not-started, ended or none
 *   node stack/acls.ts apply          makes the broker's ACLs equal to these, through the Kafka admin API, as the
 *                                     principal of KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD_FILE (a super user),
 *                                     over TLS with KAFKA_SSL_CA_FILE: adds what is missing, then deletes every
 *                                     ACL of any principal but the super user User:admin that they do not
 *                                     contain; one line per change and a summary; idempotent
 *   node stack/acls.ts apply --dry-run (or: diff) what apply would change, changing nothing
 *
 * The ACLs are those of a day (--today YYYY-MM-DD or ACLS_TODAY, default today), a calendar day in
 * Europe/Amsterdam as the agreements' terms are: a recipient reads only while its agreement's term runs, both
 * ends included (pseudonymise's isWithinTerm; it shreds the keys of an ended agreement the day after term.to,
 * retireEndedAgreements). Before term.from it has no access yet: nothing is delivered to it then either.
 * The services keep their rights on the topics of every agreement file, ended or not: pseudonymise still
 * makes every agreement's topic at start. Run `apply` every day (and after each change of an agreement or of
 * the projections): an ACL lasts until an apply removes it.
 *
 * Names follow the services' own settings (same env names and defaults): INGEST_GROUP_ID,
 * PSEUDONYMISE_GROUP_ID, DELIVER_GROUP_PREFIX, FEED_TOPIC_PREFIX, DELIVER_LEASE_TOPIC, AGREEMENTS_DIR,
 * DELIVER_PROJECTIONS_FILE. Principals are User:<name>; a recipient's name is its agreement's recipient id.
 * Read, Write and Create imply Describe in Kafka, so Describe is not listed separately.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { amsterdamEpochDay, type EpochDay, fromEpochDay, parseIsoDate, toEpochDay } from '@register-feeds/register-model';
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
  /** the agreement's term, Amsterdam calendar days, both ends included; to: null is open-ended */
  term: { from: EpochDay; to: EpochDay | null };
}

export interface AclInputs {
  recipients: Recipient[];
  /** recipient topics deliver reads (its projections' inputs) */
  deliverInputs: string[];
  feedPrefix: string;
  leaseTopic: string;
  groups: { ingest: string; pseudonymise: string; deliver: string; replay: string };
  /** the Amsterdam calendar day the ACLs are for: it decides which recipients read */
  today: EpochDay;
}

export type TermState = 'running' | 'not-started' | 'ended';

/** Where a term stands on a day, as pseudonymise sees it (isWithinTerm, retireEndedAgreements). */
export function termState(term: Recipient['term'], today: EpochDay): TermState {
  if (today < term.from) return 'not-started';
  return term.to !== null && today > term.to ? 'ended' : 'running';
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
  // ids have no dots, so no recipient's prefix covers another's groups), and nothing else; only while its
  // agreement's term runs
  for (const r of inputs.recipients.filter((r) => termState(r.term, inputs.today) === 'running')) {
    add(r.id, 'topic', r.topic, ['read']);
    if (r.feed) add(r.id, 'topic', r.feed, ['read']);
    add(r.id, 'group', r.id, ['read']);
    add(r.id, 'group', `${r.id}.`, ['read'], true);
  }
  return acls;
}

/** The services and the recipients whose agreement has not ended (one not started yet may get its credential). */
export function principalsOf(inputs: AclInputs): string[] {
  return [...SERVICES, ...inputs.recipients.filter((r) => termState(r.term, inputs.today) !== 'ended').map((r) => r.id)];
}

const RECIPIENT_ID = /^[a-z0-9][a-z0-9-]*$/;

/** 'YYYY-MM-DD' to an epoch day, or an error naming where the date came from. */
function isoDay(value: unknown, where: string): EpochDay {
  if (typeof value !== 'string' || !parseIsoDate(value).ok) throw new Error(`${where}: expected an existing date YYYY-MM-DD`);
  return toEpochDay(value);
}

function termOf(value: unknown, file: string): Recipient['term'] {
  const term = value as { from?: unknown; to?: unknown } | undefined;
  if (typeof term !== 'object' || term === null) throw new Error(`${file}: expected term.from and term.to`);
  const from = isoDay(term.from, `${file} term.from`);
  const to = term.to === null ? null : isoDay(term.to, `${file} term.to (or null)`);
  if (to !== null && to < from) throw new Error(`${file}: term.to is before term.from`);
  return { from, to };
}

/** The day the ACLs are for: `today` (YYYY-MM-DD) if given, else ACLS_TODAY, else the Amsterdam date now. */
export function aclDay(today: string | undefined, env: Record<string, string | undefined> = process.env): EpochDay {
  if (today !== undefined) return isoDay(today, '--today');
  if (env.ACLS_TODAY) return isoDay(env.ACLS_TODAY, 'ACLS_TODAY');
  return amsterdamEpochDay(Date.now());
}

/** Reads the agreements and deliver's projections file; the env names and defaults are the services'. */
export function loadAclInputs(
  root: string,
  env: Record<string, string | undefined> = process.env,
  today: EpochDay = aclDay(undefined, env),
): AclInputs {
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
      const agreement = parse(readFileSync(join(agreementsDir, file), 'utf8')) as {
        recipient?: unknown;
        output?: { topic?: unknown };
        term?: unknown;
      };
      const id = agreement.recipient;
      const topic = agreement.output?.topic;
      if (typeof id !== 'string' || !RECIPIENT_ID.test(id))
        throw new Error(`${file}: expected a recipient id (lower-case letters, digits, hyphens)`);
      if (typeof topic !== 'string' || topic === '') throw new Error(`${file}: expected output.topic`);
      if ((SERVICES as readonly string[]).includes(id)) throw new Error(`${file}: recipient id ${id} is a service's principal`);
      const term = termOf(agreement.term, file);
      return { id, topic, term, ...(projected.has(id) ? { feed: `${feedPrefix}${id}.v1` } : {}) };
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
    today,
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

/** The one principal whose ACLs apply never removes: the stack's super user (super.users), the registry's too. */
export const SUPER_USER = 'User:admin';

/**
 * An ACL as the broker holds it, in the admin API's codes (kafkajs enums). Anything a broker may hold fits,
 * also what the rules never make (a Deny, another host, an operation such as All): that is what apply removes.
 */
export type AclBinding = kafkajs.AclEntry;

/** A derived ACL as the broker holds it: allowed from any host. */
export function bindingOf(acl: Acl): AclBinding {
  return {
    resourceType: RESOURCE_TYPE[acl.resource],
    resourceName: acl.name,
    resourcePatternType: acl.prefixed ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal: `User:${acl.principal}`,
    host: '*',
    operation: OPERATION_TYPE[acl.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

const bindingKey = (b: AclBinding) =>
  [b.principal, b.resourceType, b.resourceName, b.resourcePatternType, b.operation, b.permissionType, b.host].join('\u0000');

export interface AclDiff {
  /** desired, not on the broker */
  add: AclBinding[];
  /** on the broker, not desired, and not the super user's */
  remove: AclBinding[];
  /** on the broker and desired */
  unchanged: number;
}

/** What makes the broker's ACLs (`current`) equal to `desired`. Pure. The super user's ACLs are never removed. */
export function diffAcls(current: readonly AclBinding[], desired: readonly AclBinding[], superUser = SUPER_USER): AclDiff {
  const held = new Map(current.map((b) => [bindingKey(b), b]));
  const wanted = new Map(desired.map((b) => [bindingKey(b), b]));
  return {
    add: [...wanted].filter(([key]) => !held.has(key)).map(([, b]) => b),
    remove: [...held].filter(([key, b]) => !wanted.has(key) && b.principal !== superUser).map(([, b]) => b),
    unchanged: [...wanted.keys()].filter((key) => held.has(key)).length,
  };
}

/** A kafkajs enum's name for a code, as Kafka's tools print it: TRANSACTIONAL_ID -> TransactionalId. */
function nameIn(codes: object, code: number): string {
  const name = Object.entries(codes as Record<string, unknown>).find(([, value]) => value === code)?.[0] ?? `code ${code}`;
  return name
    .toLowerCase()
    .split('_')
    .map((word) => (word[0] ?? '').toUpperCase() + word.slice(1))
    .join('');
}

/** One line for an ACL: principal, resource, operation (and what is unusual about it). */
export function describeBinding(b: AclBinding): string {
  const pattern = b.resourcePatternType === ResourcePatternTypes.LITERAL ? '' : ` (${nameIn(ResourcePatternTypes, b.resourcePatternType)})`;
  const permission = b.permissionType === AclPermissionTypes.ALLOW ? '' : ` ${nameIn(AclPermissionTypes, b.permissionType)}`;
  const host = b.host === '*' ? '' : ` from host ${b.host}`;
  return `${b.principal} ${nameIn(AclResourceTypes, b.resourceType)} '${b.resourceName}'${pattern} ${nameIn(AclOperationTypes, b.operation)}${permission}${host}`;
}

/** The admin client of KAFKA_BROKERS and the SASL/TLS settings, as the services build theirs. */
function adminClient(env: Record<string, string | undefined>) {
  const config = loadConfig(commonSettings, env);
  const auth = kafkaAuthFromSettings(config);
  const kafka = new Kafka({
    clientId: 'stack-acls',
    brokers: config.kafkaBrokers,
    // its retries would print a JSON line each; the failure that ends them is reported once, as one line
    logLevel: logLevel.NOTHING,
    ...(auth ? { sasl: { mechanism: auth.mechanism, username: auth.username, password: auth.password } } : {}),
    // the secured stack's TLS, verified against its CA (KAFKA_SSL_CA_FILE), as the services' bus does
    ...(auth?.tls ? { ssl: { ca: [auth.tls.ca] } } : {}),
  });
  return kafka.admin();
}

/** Every ACL the broker holds, of every principal. */
async function brokerAcls(admin: kafkajs.Admin): Promise<AclBinding[]> {
  const answer = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  return answer.resources.flatMap(({ resourceType, resourceName, resourcePatternType, acls }) =>
    acls.map((acl) => ({ resourceType, resourceName, resourcePatternType, ...acl })),
  );
}

/**
 * Makes the broker's ACLs equal to `acls` (the super user's aside): adds first, so a right that stays never
 * lapses, then deletes the rest, each by an exact filter. `dryRun`: only says what it would do. Reports each
 * change through `say`; returns the diff.
 */
export async function applyAcls(
  acls: Acl[],
  env: Record<string, string | undefined> = process.env,
  { dryRun = false, say = (line: string) => void process.stdout.write(`${line}\n`) } = {},
): Promise<AclDiff> {
  const admin = adminClient(env);
  await admin.connect();
  try {
    const diff = diffAcls(await brokerAcls(admin), acls.map(bindingOf));
    const [added, removed] = dryRun ? ['would add', 'would remove'] : ['added', 'removed'];
    if (diff.add.length > 0 && !dryRun) await admin.createAcls({ acl: diff.add });
    for (const b of diff.add) say(`${added}: ${describeBinding(b)}`);
    if (diff.remove.length > 0 && !dryRun) {
      const { filterResponses } = await admin.deleteAcls({ filters: diff.remove });
      const failed = filterResponses.flatMap((r, i) =>
        r.errorCode === 0 ? [] : [`${describeBinding(diff.remove[i] as AclBinding)}: ${r.errorMessage ?? `error ${r.errorCode}`}`],
      );
      if (failed.length > 0) throw new Error(`deleting ACLs failed: ${failed.join('; ')}`);
    }
    for (const b of diff.remove) say(`${removed}: ${describeBinding(b)}`);
    return diff;
  } finally {
    await admin.disconnect();
  }
}

/** The last line of apply: the day, what changed (or would), and how many ACLs the derived set has. */
export function summaryLine(diff: AclDiff, acls: Acl[], today: EpochDay, dryRun: boolean): string {
  const principals = new Set(acls.map((a) => a.principal)).size;
  const changes = dryRun
    ? ` (dry run, nothing changed): ${diff.add.length} to add, ${diff.remove.length} to remove`
    : `: ${diff.add.length} added, ${diff.remove.length} removed`;
  return `ACLs for ${fromEpochDay(today)}${changes}, ${diff.unchanged} unchanged; ${acls.length} ACLs for ${principals} principals`;
}

const USAGE = 'usage: node stack/acls.ts principals|list|table|term R|apply [--dry-run]|diff [--today YYYY-MM-DD]';

async function main(argv: string[]): Promise<void> {
  let parsed: { values: { today?: string; 'dry-run'?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { today: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const [command, argument] = positionals;
  const root = resolve(import.meta.dirname, '..');
  const inputs = loadAclInputs(root, process.env, aclDay(values.today));
  const acls = aclsFor(inputs);
  if (command === 'principals') process.stdout.write(`${principalsOf(inputs).join('\n')}\n`);
  else if (command === 'list') process.stdout.write(`${aclCommands(acls).join('\n')}\n`);
  else if (command === 'table') process.stdout.write(`${aclTable(acls)}\n`);
  else if (command === 'term' && argument !== undefined) {
    const recipient = inputs.recipients.find((r) => r.id === argument);
    process.stdout.write(`${recipient ? termState(recipient.term, inputs.today) : 'none'}\n`);
  } else if (command === 'apply' || command === 'diff') {
    const dryRun = command === 'diff' || values['dry-run'] === true;
    const diff = await applyAcls(acls, process.env, { dryRun });
    process.stdout.write(`${summaryLine(diff, acls, inputs.today, dryRun)}\n`);
  } else throw new UsageError(USAGE);
}

class UsageError extends Error {}

if (import.meta.main) {
  // an operator's mistake (a bad date, an agreement without a term, a refused login) is one line, no stack trace
  await main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(
      error instanceof UsageError ? `${error.message}\n` : `stack/acls.ts: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(error instanceof UsageError ? 2 : 1);
  });
}
