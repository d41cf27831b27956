import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createKafkajsBus, createLogger, kafkaAuthFromSettings, type Producer } from '@register-feeds/service-kit';
import { createPlatformaticBus } from '@register-feeds/service-kit/platformatic-bus';
import kafkajs, { type Kafka as KafkaClient, type KafkaConfig } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/stack.ts';

// KAFKA ACCESS CONTROL (issue 12, part 5) on a secured stack of its OWN (STACK_SECURITY=scram, own
// STACK_HOME under /tmp, own ports, Kafka only): SASL/SCRAM-SHA-512 over TLS (SASL_SSL, the stack's own test
// CA) with principals made at the stack's start, the StandardAuthorizer, and the ACLs of stack/acls.ts. A
// recipient reads its own topic and feed and gets an authorization error on another's; a service cannot write
// where it has no business; a wrong password is refused; a client without TLS or trusting another CA does not
// get in; an operator adds a recipient principal with one command (Kafka's own tools, over TLS); `apply` takes
// away what the agreements no longer give (an ended term, an ACL nothing derives) and `remove-recipient`
// the credential of a recipient whose agreement has ended. Negative
// checks use a plain kafkajs client (what an outsider would use), the positive writes the services' own bus.

const { Kafka, logLevel } = kafkajs;
const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const home = mkdtempSync(join(tmpdir(), 'acl-stack-'));
// below 32768, outside Linux's ephemeral range (32768-60999): a port in it may be taken by an outgoing connection when the stack binds it
const KAFKA_PORT = 23092;
const brokers = [`127.0.0.1:${KAFKA_PORT}`];
const stackEnv = {
  ...process.env,
  STACK_HOME: home,
  STACK_DIST: join(root, '.local/stack/dist'),
  STACK_SECURITY: 'scram',
  STACK_REGISTRY: 'none',
  STACK_KAFKA_PORT: String(KAFKA_PORT),
  STACK_CONTROLLER_PORT: '23093',
};
const stack = (...args: string[]) => run('bash', [join(root, 'stack/stack.sh'), ...args], { env: stackEnv, maxBuffer: 8 * 1024 * 1024 });

const GGD = 'ggd-jeugdgezondheid';
const SVB = 'svb-kostendelersnorm';
const SBB = 'sbb-stagemarkt';
const topicOf = (recipient: string) => `recipient.${recipient}.v2`;
const feedOf = (recipient: string) => `feed.${recipient}.v1`;
const passwordFile = (principal: string) => join(home, 'secrets', `${principal}.password`);
const password = (principal: string) => readFileSync(passwordFile(principal), 'utf8');
const tlsDir = join(home, 'secrets', 'tls');
const caFile = join(tlsDir, 'ca.pem');

const clients: Array<{ disconnect(): Promise<void> }> = [];
/** A plain kafkajs client as `principal`; TLS verified against the stack's CA unless told otherwise (false: no TLS). */
function client(principal: string, secret = password(principal), ca: string | false = readFileSync(caFile, 'utf8')): KafkaClient {
  return new Kafka({
    clientId: `acl-test-${principal}`,
    brokers,
    sasl: { mechanism: 'scram-sha-512', username: principal, password: secret },
    ...(ca === false ? {} : { ssl: { ca: [ca] } }),
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 100 },
  });
}

/** Everything an error says: its message, stack and causes, as a log line of it would show them. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  for (
    let e = error as { message?: unknown; stack?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  )
    parts.push(String(e), String(e.message), String(e.stack), JSON.stringify(e));
  return parts.join('\n');
}

/** Reads a topic from the beginning as `principal` in `groupId`: the values, or the error that stopped it. */
async function readAs(principal: string, groupId: string, topic: string, expected: number): Promise<string[]> {
  // retries for what is passing (the group coordinator moving in just after the stack's start); an
  // authorization error is not retriable and comes at once
  const consumer = client(principal).consumer({ groupId, retry: { retries: 5, restartOnFailure: async () => false } });
  clients.push(consumer);
  const values: string[] = [];
  let crash: unknown;
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    crash = payload.error;
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void values.push(String(message.value)) });
  try {
    await waitFor(`${principal} to read ${expected} record(s) of ${topic}`, () => {
      if (crash) throw crash;
      return values.length >= expected;
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

/** The auth a service builds from its settings (KAFKA_SASL_*, KAFKA_SSL_CA_FILE), as in its main.ts. */
const serviceAuth = (principal: string) =>
  kafkaAuthFromSettings({
    kafkaSaslMechanism: 'scram-sha-512',
    kafkaSaslUsername: principal,
    kafkaSaslPasswordFile: passwordFile(principal),
    kafkaSslCaFile: caFile,
  });
const quiet = createLogger({ service: 'test', level: 'fatal' });
/** The bus a service builds from its settings, as in its main.ts. */
function serviceBus(principal: string) {
  return createKafkajsBus({ brokers, clientId: `acl-test-${principal}`, logger: quiet, auth: serviceAuth(principal) });
}

/** A CA certificate (PEM) that signed nothing of the stack's, made with openssl for this test. */
async function throwawayCa(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'acl-other-ca-'));
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'ca.key'),
      '-out',
      join(dir, 'ca.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=another test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ]);
    return readFileSync(join(dir, 'ca.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** kafkajs as the GGD with these TLS options (true: Node's own list of public CAs). */
function tlsClient(secret: string, ssl: KafkaConfig['ssl']): KafkaClient {
  return new Kafka({
    clientId: 'acl-test-tls',
    brokers,
    sasl: { mechanism: 'scram-sha-512', username: GGD, password: secret },
    ssl,
    logLevel: logLevel.NOTHING,
    retry: { retries: 1, initialRetryTime: 100 },
  });
}

/** The Kafka error code name of a failure: kafkajs gives it on the error or on the error it wraps. */
async function failureOf(attempt: Promise<unknown>): Promise<string> {
  return attempt.then(
    () => 'no error',
    (error: { type?: string; cause?: { type?: string }; name?: string }) => error.type ?? error.cause?.type ?? error.name ?? String(error),
  );
}

beforeAll(async () => {
  await stack('up');
  // the topics the tests touch, with one record in each recipient topic, written by the stack's super user
  const admin = client('admin').admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [GGD, SVB, SBB]
      .flatMap((r) => [topicOf(r), feedOf(r)])
      .concat('register.raw.v1', 'recipient.newcomer.v2', 'tls-check')
      .map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
  });
  await admin.disconnect();
  const producer = client('admin').producer();
  await producer.connect();
  for (const r of [GGD, SVB, SBB, 'newcomer']) await producer.send({ topic: topicOf(r), messages: [{ value: `for ${r}` }] });
  await producer.disconnect();
  // the first group of a new cluster makes the offsets topic; until its partitions have leaders, joining
  // answers "not the correct coordinator": the tests start once a group of the super user has read a record
  await waitFor(
    'the group coordinator of the new stack',
    () =>
      readAs('admin', 'warm-up', topicOf(GGD), 1).then(
        () => true,
        (error: { retriable?: boolean; cause?: { retriable?: boolean } }) => {
          if (error.retriable || error.cause?.retriable) return false;
          throw error;
        },
      ),
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}, 180_000);

afterAll(async () => {
  for (const c of clients) await c.disconnect().catch(() => {});
  await stack('down');
  if (!process.env.KEEP_STACK_HOME) rmSync(home, { recursive: true, force: true });
}, 60_000);

describe('Kafka access control (STACK_SECURITY=scram)', () => {
  it('lets a recipient read its own topic and feed, and gives it an authorization error on another recipient’s', async () => {
    expect(await readAs(GGD, `${GGD}.reader`, topicOf(GGD), 1)).toEqual([`for ${GGD}`]);
    // its feed is readable (empty here: the test only needs no error before the end)
    const offsets = client(GGD).admin();
    clients.push(offsets);
    await offsets.connect();
    expect(await offsets.fetchTopicOffsets(feedOf(GGD))).toHaveLength(1);

    expect(await failureOf(readAs(GGD, `${GGD}.reader-2`, topicOf(SVB), 1))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await failureOf(offsets.fetchTopicOffsets(feedOf(SVB)))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await failureOf(readAs(GGD, `${GGD}.reader-3`, 'register.raw.v1', 1))).toBe('TOPIC_AUTHORIZATION_FAILED');
    // its own topic in a group that is not its own: the broker answers FindCoordinator with
    // GROUP_AUTHORIZATION_FAILED, which kafkajs reports as "Failed to find group coordinator"
    expect(await failureOf(readAs(GGD, `${SVB}.reader`, topicOf(GGD), 1))).toBe('KafkaJSGroupCoordinatorNotFound');
    // and another recipient the same, the other way round
    expect(await readAs(SVB, SVB, topicOf(SVB), 1)).toEqual([`for ${SVB}`]);
    expect(await failureOf(readAs(SVB, `${SVB}.x`, topicOf(GGD), 1))).toBe('TOPIC_AUTHORIZATION_FAILED');
  }, 90_000);

  it('lets a service write what it produces and nothing else', async () => {
    const send = async (principal: string, topic: string) => {
      const bus = serviceBus(principal);
      let producer: Producer | undefined;
      try {
        producer = await bus.producer();
        await producer.send([{ topic, key: 'k', value: Buffer.from('v') }]);
      } finally {
        await producer?.disconnect();
      }
    };
    await send('pseudonymise', topicOf(GGD));
    expect(await failureOf(send('pseudonymise', 'register.raw.v1'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    await send('deliver', feedOf(SBB));
    expect(await failureOf(send('deliver', topicOf(SBB)))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await failureOf(send('ingest', topicOf(SBB)))).toBe('TOPIC_AUTHORIZATION_FAILED');
    // a recipient writes nowhere, not even to its own topic
    expect(await failureOf(send(SBB, topicOf(SBB)))).not.toBe('no error');
  }, 90_000);

  it('refuses a wrong password and an unknown principal, and never shows the password', async () => {
    const wrong = `${password(GGD)}x`;
    const refused = client(GGD, wrong).admin();
    const error = await refused.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(kafkajs.KafkaJSSASLAuthenticationError);
    expect(String((error as Error).message)).not.toContain(wrong);
    await expect(client('nobody', 'secret-guess').admin().connect()).rejects.toBeInstanceOf(kafkajs.KafkaJSSASLAuthenticationError);

    // every file in the stack home that holds a password is the owner's alone
    const admin = password('admin');
    const holding = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) return entry.name === 'data' ? [] : holding(path);
        return readFileSync(path, 'utf8').includes(admin) ? [path] : [];
      });
    const files = holding(home);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect({ file, mode: (statSync(file).mode & 0o777).toString(8) }).toEqual({ file, mode: '600' });
  }, 60_000);

  it('speaks only TLS, verified against the stack’s own CA: a client without TLS or trusting another CA does not get in', async () => {
    // the services' way in (KAFKA_SSL_CA_FILE), here through the other client the project has, as a service would
    const bus = createPlatformaticBus({ brokers, clientId: 'acl-test-tls', logger: quiet, auth: serviceAuth('admin') });
    const producer = await bus.producer();
    try {
      await producer.send([{ topic: 'tls-check', key: 'k', value: Buffer.from('over TLS') }]);
    } finally {
      await producer.disconnect();
    }
    expect(await readAs('admin', 'tls-check-reader', 'tls-check', 1)).toEqual(['over TLS']);

    const secret = password(GGD);
    const refusal = (c: KafkaClient) =>
      c
        .admin()
        .connect()
        .then(
          () => 'connected',
          (error: unknown) => errorText(error),
        );
    // SASL_PLAINTEXT to the TLS port: the broker closes the connection before any SASL exchange
    const plain = await refusal(client(GGD, secret, false));
    expect(plain).toContain('Closed connection');
    expect(plain).not.toContain(secret);
    // TLS trusting a CA of its own (made now): the broker's certificate does not verify
    const other = await refusal(client(GGD, secret, await throwawayCa()));
    expect(other).toContain('unable to verify the first certificate');
    expect(other).not.toContain(secret);
    // and a client that trusts only the system's CAs no more
    expect(await refusal(tlsClient(secret, true))).toContain('unable to verify the first certificate');
    // the right CA, but checking the certificate for a name it is not for: the host name is verified too
    const misnamed = await refusal(tlsClient(secret, { ca: [readFileSync(caFile, 'utf8')], servername: 'kafka.example.org' }));
    expect(misnamed).toContain("Hostname/IP does not match certificate's altnames");
    expect(misnamed).not.toContain(secret);

    // what the stack made: its CA signed each node's certificate, for the names clients connect to
    const ca = new X509Certificate(readFileSync(caFile));
    expect(ca.ca).toBe(true);
    const nodePem = readFileSync(join(tlsDir, 'kafka.pem'), 'utf8');
    const node = new X509Certificate(nodePem.slice(nodePem.indexOf('-----BEGIN CERTIFICATE-----')));
    expect(node.verify(ca.publicKey)).toBe(true);
    expect(node.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(node.checkHost('localhost')).toBe('localhost');
    expect(nodePem).toContain('-----BEGIN PRIVATE KEY-----');
    // its keys are the owner's alone, like the passwords, and the settings point the services at the CA
    expect((statSync(tlsDir).mode & 0o777).toString(8)).toBe('700');
    for (const file of ['ca.key', 'kafka.pem'])
      expect({ file, mode: (statSync(join(tlsDir, file)).mode & 0o777).toString(8) }).toEqual({ file, mode: '600' });
    expect((await stack('env')).stdout).toContain(`KAFKA_SSL_CA_FILE=${caFile}`);
  }, 90_000);

  it('adds a recipient principal with one command, from its agreement', async () => {
    const agreements = mkdtempSync(join(tmpdir(), 'acl-agreements-'));
    try {
      cpSync(join(root, 'agreements'), agreements, { recursive: true });
      writeFileSync(
        join(agreements, 'newcomer.yaml'),
        'recipient: newcomer\nterm:\n  from: 2025-08-01\n  to: null\noutput:\n  topic: recipient.newcomer.v2\n',
      );
      // without the agreement the command refuses: the agreement decides what the principal may read
      await expect(stack('add-recipient', 'stranger')).rejects.toMatchObject({ stderr: expect.stringContaining('no agreement') });
      const added = await run('bash', [join(root, 'stack/stack.sh'), 'add-recipient', 'newcomer'], {
        env: { ...stackEnv, AGREEMENTS_DIR: agreements },
      });
      expect(added.stdout).toContain('recipient newcomer: principal User:newcomer');
      expect((statSync(passwordFile('newcomer')).mode & 0o777).toString(8)).toBe('600');
      expect(await readAs('newcomer', 'newcomer', topicOf('newcomer'), 1)).toEqual(['for newcomer']);
      expect(await failureOf(readAs('newcomer', 'newcomer.x', topicOf(GGD), 1))).toBe('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      rmSync(agreements, { recursive: true, force: true });
    }
  }, 90_000);

  it('takes a recipient’s access away at `apply` the day after its agreement ends, and every ACL nothing derives; then its credential', async () => {
    // the agreements on 2026-06-01: the SVB's ended the day before, the GGD's ends that day (it still reads)
    const agreements = mkdtempSync(join(tmpdir(), 'acl-agreements-'));
    const endOn = (recipient: string, to: string) => {
      const file = join(agreements, `${recipient}.yaml`);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('term:\n  from: 2025-08-01\n  to: null\n');
      writeFileSync(file, text.replace('term:\n  from: 2025-08-01\n  to: null\n', `term:\n  from: 2025-08-01\n  to: ${to}\n`));
    };
    const env = {
      ...stackEnv,
      AGREEMENTS_DIR: agreements,
      ACLS_TODAY: '2026-06-01',
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'admin',
      KAFKA_SASL_PASSWORD_FILE: passwordFile('admin'),
      KAFKA_SSL_CA_FILE: caFile,
    };
    const acls = async (...args: string[]) => (await run(process.execPath, [join(root, 'stack/acls.ts'), ...args], { env })).stdout;
    const lines = (output: string, prefix: string) => output.split('\n').filter((line) => line.startsWith(prefix));
    try {
      cpSync(join(root, 'agreements'), agreements, { recursive: true });
      endOn(SVB, '2026-05-31');
      endOn(GGD, '2026-06-01');
      // an ACL no agreement derives: a principal whose agreement file is gone, given by hand
      const admin = client('admin').admin();
      clients.push(admin);
      await admin.connect();
      const byHand = {
        resourceType: kafkajs.AclResourceTypes.TOPIC,
        resourceName: topicOf(GGD),
        resourcePatternType: kafkajs.ResourcePatternTypes.LITERAL,
        principal: 'User:gone',
        host: '*',
        operation: kafkajs.AclOperationTypes.READ,
        permissionType: kafkajs.AclPermissionTypes.ALLOW,
      };
      await admin.createAcls({ acl: [byHand] });
      const svbAdmin = client(SVB).admin();
      clients.push(svbAdmin);
      await svbAdmin.connect();
      expect(await svbAdmin.fetchTopicOffsets(topicOf(SVB))).toHaveLength(1);

      // the dry run says what would go, and changes nothing
      const dryRun = await acls('apply', '--dry-run');
      const svbLines = [
        `User:${SVB} Topic '${topicOf(SVB)}' Read`,
        `User:${SVB} Topic '${feedOf(SVB)}' Read`,
        `User:${SVB} Group '${SVB}' Read`,
        `User:${SVB} Group '${SVB}.' (Prefixed) Read`,
      ];
      for (const line of [...svbLines, `User:gone Topic '${topicOf(GGD)}' Read`])
        expect(lines(dryRun, 'would remove: ')).toContain(`would remove: ${line}`);
      expect(dryRun).toMatch(/^ACLs for 2026-06-01 \(dry run, nothing changed\): 0 to add, \d+ to remove, \d+ unchanged/m);
      expect(await svbAdmin.fetchTopicOffsets(topicOf(SVB))).toHaveLength(1);

      // an agreement that runs cannot be removed
      await expect(run('bash', [join(root, 'stack/stack.sh'), 'remove-recipient', SVB], { env: stackEnv })).rejects.toMatchObject({
        stderr: expect.stringContaining('has not ended (running)'),
      });

      const applied = await acls('apply');
      const removed = lines(applied, 'removed: ');
      for (const line of [...svbLines, `User:gone Topic '${topicOf(GGD)}' Read`]) expect(removed).toContain(`removed: ${line}`);
      // nothing of the super user, of a service that keeps its rights, or of a running recipient
      for (const principal of ['admin', 'ingest', 'deliver', 'register', GGD, SBB])
        expect(removed.filter((line) => line.startsWith(`removed: User:${principal} `))).toEqual([]);
      expect(lines(applied, 'added: ')).toEqual([]);
      expect(lines(applied, 'ACLs for 2026-06-01: 0 added,')).toHaveLength(1);

      // the SVB's open session is refused at once; a new read of its topic as well, from its own group on
      expect(await failureOf(svbAdmin.fetchTopicOffsets(topicOf(SVB)))).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await failureOf(svbAdmin.fetchTopicOffsets(feedOf(SVB)))).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await failureOf(readAs(SVB, `${SVB}.after-end`, topicOf(SVB), 1))).toBe('TOPIC_AUTHORIZATION_FAILED');
      // the GGD, on its last day, still reads
      expect(await readAs(GGD, `${GGD}.last-day`, topicOf(GGD), 1)).toContain(`for ${GGD}`);
      const left = await admin.describeAcls({
        resourceType: kafkajs.AclResourceTypes.ANY,
        resourcePatternType: kafkajs.ResourcePatternTypes.ANY,
        operation: kafkajs.AclOperationTypes.ANY,
        permissionType: kafkajs.AclPermissionTypes.ANY,
      });
      const principals = new Set(left.resources.flatMap((r) => r.acls.map((a) => a.principal)));
      expect(principals).not.toContain(`User:${SVB}`);
      expect(principals).not.toContain('User:gone');
      expect(principals).toContain(`User:${GGD}`);

      // a second apply changes nothing
      const again = await acls('apply');
      expect(lines(again, 'removed: ')).toEqual([]);
      expect(lines(again, 'added: ')).toEqual([]);
      expect(again).toMatch(/^ACLs for 2026-06-01: 0 added, 0 removed, \d+ unchanged/m);

      // the credential goes too (a service's cannot); the ACLs are applied again, changing nothing
      await expect(
        run('bash', [join(root, 'stack/stack.sh'), 'remove-recipient', 'ingest'], { env: { ...stackEnv, AGREEMENTS_DIR: agreements } }),
      ).rejects.toMatchObject({ stderr: expect.stringContaining("one of the system's own principals") });
      const secret = password(SVB);
      const removal = await run('bash', [join(root, 'stack/stack.sh'), 'remove-recipient', SVB], {
        env: { ...stackEnv, AGREEMENTS_DIR: agreements, ACLS_TODAY: '2026-06-01' },
      });
      expect(removal.stdout).toContain(`recipient ${SVB}: SCRAM credential deleted`);
      expect(removal.stdout).toContain('0 added, 0 removed');
      expect(() => statSync(passwordFile(SVB))).toThrow();
      await expect(client(SVB, secret).admin().connect()).rejects.toBeInstanceOf(kafkajs.KafkaJSSASLAuthenticationError);
      // a recipient whose agreement file is gone and who never had a credential here: nothing to delete, still fine
      const gone = await run('bash', [join(root, 'stack/stack.sh'), 'remove-recipient', 'gone'], {
        env: { ...stackEnv, AGREEMENTS_DIR: agreements, ACLS_TODAY: '2026-06-01' },
      });
      expect(gone.stdout).toContain('recipient gone: had no SCRAM credential');
    } finally {
      rmSync(agreements, { recursive: true, force: true });
    }
  }, 120_000);
});
