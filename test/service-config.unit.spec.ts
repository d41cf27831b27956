import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// Each service validates its configuration once, at start, and a bad setting ends it with one line that
// names the setting (exit code 78, EX_CONFIG), before it touches Kafka.

const services = ['ingest', 'pseudonymise', 'deliver'];

describe.each(services)('%s entry point', (service) => {
  it('exits with one clear line naming a bad setting', () => {
    const result = spawnSync(process.execPath, [`services/${service}/src/main.ts`], {
      env: { PATH: process.env.PATH, KAFKA_BROKERS: 'not-a-broker' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr.trim().split('\n')).toEqual([
      `${service}: configuration error: KAFKA_BROKERS="not-a-broker" is invalid: "not-a-broker" is not host:port`,
    ]);
    expect(result.stdout).toBe('');
  });
});
