import { readFileSync } from 'node:fs';
import { settings as deliverSettings } from '@register-feeds/deliver';
import { settings as ingestSettings } from '@register-feeds/ingest';
import { loadAgreements, settings as pseudonymiseSettings } from '@register-feeds/pseudonymise';
import { topics } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// docker-compose.yml cannot run here (no Docker engine); this keeps it honest: it parses, each service
// runs its own entry point, and every variable and topic it names is one the services know.

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string | number>;
}

const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, ComposeService>;
};
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
    expect(Object.keys(compose.services).sort()).toEqual(['deliver', 'ingest', 'kafka', 'keys', 'pseudonymise', 'registry']);
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
          ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'AGREEMENTS_DIR', 'DELIVER_HTTP_HOST'].includes(setting.env)
        )
          continue;
        expect(String(value), `${service} ${setting.env}`).toBe(setting.default);
      }
    }
  });
});
