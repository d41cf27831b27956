import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settings as deliverSettings } from '@register-feeds/deliver';
import { settings as ingestSettings } from '@register-feeds/ingest';
import { loadAgreements, settings as pseudonymiseSettings } from '@register-feeds/pseudonymise';
import { topics } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { aclCommands, aclsFor, loadAclInputs, principalsOf } from '../stack/acls.ts';

// docker-compose.yml cannot run here (no Docker engine); this keeps it honest: it parses, each service
// runs its own entry point, and every variable and topic it names is one the services know.

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number; start_period?: string };
}

const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, ComposeService>;
};
function serviceOf(name: string): ComposeService {
  const service = compose.services[name];
  if (!service) throw new Error(`docker-compose.yml has no service ${name}`);
  return service;
}
const known = {
  ingest: ingestSettings,
  pseudonymise: pseudonymiseSettings,
  deliver: deliverSettings,
} as const;
// the topics the services know: the catalogue, and each agreement's recipient topic
const topicNames = new Set<string>([
  ...Object.values(topics).map((t) => t.name),
  ...loadAgreements(new URL('../agreements', import.meta.url).pathname).map((a) => a.output.topic),
]);

describe('docker-compose.yml', () => {
  it('has the broker, the registry and the three services', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'deliver',
      'ingest',
      'kafka',
      'kafka-credentials',
      'kafka-setup',
      'keys',
      'pseudonymise',
      'registry',
    ]);
    expect(compose.services.kafka?.image).toMatch(/^apache\/kafka:4\.1\./);
    expect(compose.services.registry?.image).toMatch(/^apicurio\/apicurio-registry:3\./);
  });

  for (const [service, settings] of Object.entries(known)) {
    it(`${service}: runs its own entry point with only variables it reads`, () => {
      const definition = compose.services[service]!;
      expect(definition.command).toEqual(['node', `services/${service}/src/main.ts`]);
      const envNames = new Set(Object.values(settings).map((s) => s.env));
      for (const name of Object.keys(definition.environment ?? {})) {
        expect(envNames, `${service} does not read ${name}`).toContain(name);
      }
      for (const [name, value] of Object.entries(definition.environment ?? {})) {
        if (name.endsWith('_TOPIC')) expect(topicNames, `${name}=${value} is not in the topic catalogue`).toContain(String(value));
      }
    });
  }

  it('gives every service the same defaults as the local run, apart from addresses and paths', () => {
    for (const [service, settings] of Object.entries(known)) {
      const env = compose.services[service]!.environment ?? {};
      for (const setting of Object.values(settings)) {
        const value = env[setting.env];
        if (
          value === undefined ||
          !('default' in setting) ||
          [
            'KAFKA_BROKERS',
            'SCHEMA_REGISTRY_URL',
            'AGREEMENTS_DIR',
            'DELIVER_HTTP_HOST',
            // the health ports `npm start` uses (default 0: none); checked against scripts/start.sh below
            'INGEST_HEALTH_PORT',
            'PSEUDONYMISE_HEALTH_PORT',
            'DELIVER_HEALTH_PORT',
            // compose is secured, the local run is not by default (STACK_SECURITY=scram)
            'KAFKA_SASL_MECHANISM',
            'KAFKA_SASL_USERNAME',
            'KAFKA_SASL_PASSWORD_FILE',
          ].includes(setting.env)
        )
          continue;
        expect(String(value), `${service} ${setting.env}`).toBe(setting.default);
      }
    }
  });

  /** The health port `npm start` gives a service (scripts/start.sh: export X_HEALTH_PORT="${X_HEALTH_PORT:-8091}"). */
  const startPort = (variable: string): number => {
    const script = readFileSync(new URL('../scripts/start.sh', import.meta.url), 'utf8');
    const found = new RegExp(`export ${variable}="\\$\\{${variable}:-(\\d+)\\}"`).exec(script);
    if (!found) throw new Error(`scripts/start.sh sets no default ${variable}`);
    return Number(found[1]);
  };

  /** Runs a healthcheck's `node -e` script against 127.0.0.1:<port> instead of the one it names; its exit code. */
  const runHealthcheck = (script: string, named: number, port: number): Promise<number> =>
    new Promise((resolve) => {
      execFile(process.execPath, ['-e', script.replaceAll(`127.0.0.1:${named}/`, `127.0.0.1:${port}/`)], { timeout: 10_000 }, (error) =>
        resolve(error ? Number((error as { code?: number }).code ?? -1) : 0),
      );
    });

  for (const service of Object.keys(known)) {
    it(`${service}: has its health port on, the one \`npm start\` uses, and a healthcheck that is healthy only on 200 from /ready`, async () => {
      const definition = serviceOf(service);
      const variable = `${service.toUpperCase()}_HEALTH_PORT`;
      expect(Object.values(known[service as keyof typeof known]).map((s) => s.env)).toContain(variable);
      const port = Number(definition.environment?.[variable]);
      expect(port, `${service} ${variable}`).toBe(startPort(variable));

      const check = definition.healthcheck;
      expect(check, `${service} has no healthcheck`).toBeDefined();
      const [kind, node, flag, script] = check!.test;
      expect([kind, node, flag]).toEqual(['CMD', 'node', '-e']);
      expect(check!.test).toHaveLength(4);
      expect(script).toContain(`'http://127.0.0.1:${port}/ready'`);
      expect(script).not.toContain('$'); // compose would take it for a variable
      for (const key of ['interval', 'timeout', 'start_period'] as const) expect(check![key], key).toMatch(/^\d+s$/);
      expect(check!.retries).toBeGreaterThan(0);

      // the script itself, against a /ready that answers as told: 0 on 200, 1 on 503, 404 or no answer at all
      let status = 200;
      let asked = '';
      const server = createServer((req, res) => {
        asked = req.url ?? '';
        res.writeHead(req.url === '/ready' ? status : 404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port: free } = server.address() as AddressInfo;
      try {
        expect(await runHealthcheck(script!, port, free)).toBe(0);
        expect(asked).toBe('/ready');
        status = 503;
        expect(await runHealthcheck(script!, port, free)).toBe(1);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      expect(await runHealthcheck(script!, port, free)).toBe(1); // nobody listens
    });
  }

  it('publishes every port on 127.0.0.1 unless told otherwise', () => {
    const published = Object.entries(compose.services).flatMap(([name, d]) => (d.ports ?? []).map((port) => ({ name, port })));
    expect(published.map((p) => p.name).sort()).toEqual(['deliver', 'kafka', 'registry']);
    for (const { name, port } of published) expect(port, name).toMatch(/^\$\{[A-Z_]+_PUBLISH:-127\.0\.0\.1\}:\d+:\d+$/);
  });

  it('runs Kafka with SASL on every listener and the StandardAuthorizer, admin its only super user', () => {
    const kafka = serviceOf('kafka');
    const env = kafka.environment ?? {};
    const protocols = String(env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP)
      .split(',')
      .map((entry) => entry.split(':')[1]);
    expect(protocols.length).toBe(String(env.KAFKA_LISTENERS).split(',').length);
    for (const protocol of protocols) expect(protocol).toBe('SASL_PLAINTEXT');
    expect(env.KAFKA_SASL_ENABLED_MECHANISMS).toBe('SCRAM-SHA-512');
    expect(env.KAFKA_AUTHORIZER_CLASS_NAME).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(env.KAFKA_SUPER_USERS).toBe('User:admin');
    expect(env.KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND).toBe('false');
    // the admin password is read from its volume at start, not written in the file
    expect((kafka.entrypoint ?? []).join(' ')).toContain('cat /kafka-admin/admin.password');
  });

  it('gives each service its own principal, whose password file is in a volume no other service mounts', () => {
    const mounts = (service: string) => (serviceOf(service).volumes ?? []).map((v) => v.split(':'));
    for (const service of Object.keys(known)) {
      const env = serviceOf(service).environment ?? {};
      expect(env.KAFKA_SASL_MECHANISM).toBe('scram-sha-512');
      expect(env.KAFKA_SASL_USERNAME).toBe(service);
      const file = String(env.KAFKA_SASL_PASSWORD_FILE);
      const mount = mounts(service).find(([, target]) => file.startsWith(`${target}/`));
      expect(mount, `${service}: ${file} is in no volume`).toBeDefined();
      expect(mount![2], `${service} mounts its credentials read-only`).toBe('ro');
      const others = Object.keys(compose.services).filter((s) => s !== service && !s.startsWith('kafka'));
      for (const other of others) expect(mounts(other).map(([volume]) => volume)).not.toContain(mount![0]);
      expect(mounts('kafka-credentials').map(([volume]) => volume)).toContain(mount![0]);
      expect(compose.services[service]!.depends_on?.['kafka-setup']?.condition).toBe('service_completed_successfully');
    }
  });

  it('holds no password', () => {
    const text = readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8');
    // a password in the file would be a literal after password= or password: (a variable like $$admin is not)
    expect(text).not.toMatch(/password\s*[=:]\s*\\?"?[A-Za-z0-9+/_-]{6,}/i);
    expect(text).not.toMatch(/PASSWORD\s*:\s*(?!\/)\S+/);
  });
});

describe('stack/compose-credentials.sh (the kafka-credentials one-shot)', () => {
  it('makes a password per principal once, 0600, and a setup script that holds none of them', () => {
    const root = mkdtempSync(join(tmpdir(), 'compose-credentials-'));
    try {
      for (const dir of ['kafka-admin', 'kafka-ingest', 'kafka-pseudonymise', 'kafka-deliver', 'kafka-others', 'registry-config'])
        mkdirSync(join(root, dir));
      const script = new URL('../stack/compose-credentials.sh', import.meta.url).pathname;
      const run = () => execFileSync('sh', [script], { env: { ...process.env, CREDENTIALS_ROOT: root }, encoding: 'utf8' });
      run();
      const files = readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.password'))
        .map((e) => join(e.parentPath, e.name));
      const principals = principalsOf(loadAclInputs(new URL('..', import.meta.url).pathname));
      expect(files.map((f) => f.split('/').pop()!.replace('.password', '')).sort()).toEqual(['admin', ...principals].sort());
      const passwords = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
      expect(new Set(passwords.values()).size).toBe(files.length);
      for (const file of files) expect((statSync(file).mode & 0o777).toString(8), file).toBe('600');
      expect(readFileSync(join(root, 'kafka-ingest', 'ingest.password'), 'utf8')).toMatch(/^[0-9a-f]{48}$/);

      const setup = readFileSync(join(root, 'kafka-admin', 'setup.sh'), 'utf8');
      for (const password of passwords.values()) expect(setup).not.toContain(password);
      for (const principal of principals)
        expect(setup).toMatch(new RegExp(`^user ${principal} /kafka-[a-z]+/${principal}\\.password$`, 'm'));
      const acls = aclCommands(aclsFor(loadAclInputs(new URL('..', import.meta.url).pathname)));
      for (const command of acls) expect(setup).toContain(command.replace('admin.properties', '/kafka-admin/admin-plain.properties'));
      expect((statSync(join(root, 'registry-config', 'application.properties')).mode & 0o777).toString(8)).toBe('640');

      // a second start keeps every password
      run();
      for (const [file, password] of passwords) expect(readFileSync(file, 'utf8')).toBe(password);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
