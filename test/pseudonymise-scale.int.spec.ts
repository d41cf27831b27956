import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTestKeys, loadAgreements } from '@register-feeds/pseudonymise';
import type { Admin } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyAgreements, recipientTopicOf } from './support/agreements.ts';
import { canonical, publishCanonical } from './support/canonical.ts';
import { pseudonymiseTestEnv } from './support/pseudonymise-env.ts';
import { rawEvents } from './support/raw-events.ts';
import { groupCaughtUp, keepOutput, readAll, testStack, uniqueName, waitFor } from './support/stack.ts';

// Scaling pseudonymise out and in (issue 12, part 2), on the shared stack: a second instance joins the group
// of a first under load, takes some partitions (its transactional producers, one id per partition, fence the
// first instance's cached ones) and is killed (SIGKILL) while the load flows. When its partitions come back,
// the first instance's producers for them are fenced ("Producer attempted an operation with an old epoch"):
// before the fix its consumer crashed for good. It must carry on by itself, every event must come out
// exactly once (counted by event on the audit topic and on the S-BB topic, read committed), and it must
// still consume what comes after. About a minute: the killed member's session (30 s) has to expire first.

const { bus, registry, brokers, registryUrl } = testStack();
let admin: Admin;
const children: ChildProcess[] = [];

beforeAll(async () => {
  admin = await bus.admin();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await admin.disconnect();
});

/** pseudonymise as a child process; `running` resolves once it has joined its group (it logs "pseudonymise running") */
function startInstance(env: Record<string, string>) {
  const child = spawn(process.execPath, ['services/pseudonymise/src/main.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  keepOutput(child, 'pseudonymise');
  children.push(child);
  let out = '';
  const running = new Promise<void>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"msg":"pseudonymise running"')) resolve();
    });
  });
  const exit = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  /** its log messages that match */
  const messages = (pattern: RegExp) =>
    out
      .split('\n')
      .slice(0, -1) // complete lines only
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string })
      .flatMap((entry) => (entry.msg !== undefined && pattern.test(entry.msg) ? [entry.msg] : []));
  /** what went wrong with its consumer or its producers, for a failing test to show */
  const trouble = () => messages(/Crash|epoch|fenced|crashed|gave up/).join('\n');
  return { child, running, exit, messages, trouble, alive: () => child.exitCode === null && child.signalCode === null };
}

describe('pseudonymise scaled out and in under load', () => {
  it('carries on when a second instance joins and is killed: every event exactly once, and still consuming afterwards', async () => {
    const id = uniqueName('pseudo-scale');
    const dir = copyAgreements(mkdtempSync(join(tmpdir(), 'agreements-')));
    const agreements = loadAgreements(dir);
    const keysFile = join(dir, 'keys.json.secret');
    writeFileSync(keysFile, JSON.stringify(generateTestKeys(agreements.map((a) => a.recipient))), { mode: 0o600 });
    const env = {
      ...pseudonymiseTestEnv({ id, brokers, registryUrl, keysFile }),
      AGREEMENTS_DIR: dir,
      LOG_LEVEL: 'info',
    };
    const load = (name: string, persons: number) => rawEvents({ persons, eventsPerPerson: 8, idPrefix: `${id}-${name}` }).map(canonical);
    const committed = async () => (await admin.groupOffsets(env.PSEUDONYMISE_GROUP_ID, env.EVENTS_TOPIC)).map((c) => Number(c.offset));
    const caughtUp = () => groupCaughtUp(admin, env.PSEUDONYMISE_GROUP_ID, env.EVENTS_TOPIC, 120_000);

    // the first instance on its own: it ends up with a cached transactional producer for every partition
    const first = load('first', 100);
    await publishCanonical(bus, registry, env.EVENTS_TOPIC, first);
    const a = startInstance(env);
    await caughtUp();

    // a second instance joins; with load flowing, both commit on the partitions they own
    const b = startInstance(env);
    await b.running;
    const before = await committed();
    const second = load('second', 400);
    await publishCanonical(bus, registry, env.EVENTS_TOPIC, second);
    await waitFor('both instances to commit on every partition', async () => (await committed()).every((o, p) => o > (before[p] ?? 0)), {
      timeoutMs: 60_000,
      intervalMs: 20,
    });

    // the second instance is killed mid-load; its partitions go back to the first once its session expires
    b.child.kill('SIGKILL');
    await b.exit;
    const third = load('third', 50);
    await publishCanonical(bus, registry, env.EVENTS_TOPIC, third);
    await caughtUp().catch((error: Error) => {
      const state = a.alive() ? 'alive' : `exited with ${a.child.exitCode ?? a.child.signalCode}`;
      throw new Error(`${error.message} (first instance ${state}; its log:\n${a.trouble()})`);
    });
    expect(a.alive(), 'the first instance exited').toBe(true);
    // it did meet its fenced producers (the scenario happened), and replaced them
    const fenced = a.messages(/^producer fenced: trying the batch again/).length;
    process.stderr.write(`pseudonymise-scale: the first instance replaced ${fenced} fenced producer(s)\n`);
    expect(fenced).toBeGreaterThan(0);

    // still consuming after the rebalance
    const fourth = load('fourth', 20);
    await publishCanonical(bus, registry, env.EVENTS_TOPIC, fourth);
    await caughtUp();

    const expected = [...first, ...second, ...third, ...fourth].map((e) => e.eventId);
    const audited = (await readAll(bus, admin, env.AUDIT_TOPIC)).map((m) => m.key?.toString());
    expect(new Set(audited)).toEqual(new Set(expected));
    expect(audited.length, 'audit entries repeated').toBe(expected.length);
    // S-BB receives every one of these MBO events: one record each, no more
    const sbb = agreements.find((a) => a.recipient === 'sbb-stagemarkt')!;
    expect((await readAll(bus, admin, recipientTopicOf(env.RECIPIENT_TOPIC_PREFIX, sbb))).length, 'S-BB records repeated or missing').toBe(
      expected.length,
    );

    a.child.kill('SIGTERM');
    expect(await a.exit).toBe(0);
  }, 240_000);
});
