import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// The local stack scripts on a stack of their own (own home, own ports, shared downloads): `up` twice
// is harmless, `status` tells the truth, and `down` leaves no process behind.

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const home = mkdtempSync(join(tmpdir(), 'stack-test-'));
const env = {
  ...process.env,
  STACK_HOME: home,
  STACK_DIST: join(root, '.local/stack/dist'),
  STACK_KAFKA_PORT: '29092',
  STACK_CONTROLLER_PORT: '29093',
  STACK_REGISTRY_PORT: '28080',
  STACK_REGISTRY_MANAGEMENT_PORT: '29000',
};
const stack = (command: string) =>
  run('bash', [join(root, 'stack/stack.sh'), command], { env, maxBuffer: 8 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
const stackProcesses = async () =>
  run('pgrep', ['-f', '--', `-Dlocal.stack.home=${home} `]).then(
    ({ stdout }) => stdout.trim().split('\n').filter(Boolean),
    () => [] as string[],
  );

afterAll(async () => {
  await stack('down');
  rmSync(home, { recursive: true, force: true });
});

describe('stack/stack.sh', () => {
  it('starts once, starts again harmlessly, reports status, and stops without leaving a process', async () => {
    const first = await stack('up');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/kafka 4\.1\.1 ready on 127\.0\.0\.1:29092/);
    const pids = await stackProcesses();
    expect(pids).toHaveLength(2);

    const second = await stack('up');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('kafka already running');
    expect(second.stdout).toContain('registry already running');
    expect(await stackProcesses()).toEqual(pids);

    const status = await stack('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/kafka +up/);
    expect(status.stdout).toMatch(/registry +up/);

    expect((await stack('down')).code).toBe(0);
    expect(await stackProcesses()).toEqual([]);
    const after = await stack('status');
    expect(after.code).not.toBe(0);
    expect(after.stdout).toMatch(/kafka +down/);
    expect((await stack('down')).code).toBe(0);
  });
});
