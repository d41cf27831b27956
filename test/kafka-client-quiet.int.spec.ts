import { spawnSync } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';

// kafkajs 2.2.4 schedules its request queue's throttle check with a negative delay (throttledUntil starts
// at -1), and Node 24 prints a TimeoutNegativeWarning on stderr for it in every process that talks to
// Kafka. patches/kafkajs+2.2.4.patch (applied by patch-package on install) clamps the delay; this runs a
// client in a process of its own, where that warning would show, and requires a silent stderr.
describe('a process that talks to Kafka through kafkajs', () => {
  it('prints nothing on stderr', () => {
    const script = `
      const { Kafka, logLevel } = require('kafkajs');
      (async () => {
        const admin = new Kafka({ brokers: process.env.BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        await admin.listTopics();
        await admin.disconnect();
        console.log('listed');
      })();`;
    const run = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, BROKERS: inject('kafkaBrokers') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stdout).toContain('listed');
    expect(run.stderr).toBe('');
  });
});
