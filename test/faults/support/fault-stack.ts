import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

// The fault suite's own stack: its own STACK_HOME under /tmp and its own ports, never the shared stack
// (this suite kills brokers and registries). Artifacts come from the shared dist, so nothing is downloaded.

const run = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, '../../..');
export const STACK_DIST = process.env.STACK_DIST ?? join(ROOT, '.local/stack/dist');
export const KAFKA_LIBS = join(STACK_DIST, 'kafka-4.1.1/libs');

export interface FaultStack {
  home: string;
  brokers: string;
  registryUrl: string;
  /** Broker count: 1, or 3 with STACK_BROKERS=3 (the cluster scenario). */
  nodes: number;
  command(...args: string[]): Promise<string>;
  up(): Promise<void>;
  down(): Promise<void>;
  pid(component: string): number;
}

export function faultStack(): FaultStack {
  // under scripts/faults.sh's folder for this run, which stops whatever is left there when the run ends
  const home = mkdtempSync(join(process.env.FAULTS_TMP ?? tmpdir(), 'faults-'));
  const nodes = Number(process.env.STACK_BROKERS ?? '1');
  // below 32768, outside Linux's ephemeral range (32768-60999): a port in it may be taken by an outgoing connection when the stack binds it
  const base = Number(process.env.FAULTS_PORT_BASE ?? '21000');
  const env = {
    ...process.env,
    STACK_HOME: home,
    STACK_DIST,
    STACK_BROKERS: String(nodes),
    STACK_KAFKA_PORT: String(base + 92),
    STACK_CONTROLLER_PORT: String(base + 93),
    STACK_REGISTRY_PORT: String(base + 80),
    STACK_REGISTRY_MANAGEMENT_PORT: String(base + 90),
  };
  const script = stackScript(home);
  const command = async (...args: string[]) => (await run('bash', [script, ...args], { env, maxBuffer: 8 * 1024 * 1024 })).stdout;
  // with three brokers the stack script puts broker N on STACK_KAFKA_PORT+2(N-1) (see stack/stack.sh)
  const brokers = Array.from({ length: nodes }, (_, i) => `127.0.0.1:${base + 92 + 2 * i}`).join(',');
  return {
    home,
    nodes,
    brokers: process.env.FAULTS_BROKERS ?? brokers,
    registryUrl: `http://127.0.0.1:${base + 80}/apis/ccompat/v7`,
    command,
    up: async () => void (await command('up')),
    down: async () => {
      await command('down').catch(() => {});
      if (!process.env.KEEP_STACK_HOME) rmSync(home, { recursive: true, force: true });
    },
    pid: (component) => Number(readFileSync(join(home, 'run', `${component}.pid`), 'utf8')),
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The stack script the suite runs: the last COMMITTED stack/ (script, POM, log4j config), copied into the
 * stack home, so a half-edited stack/stack.sh in the working tree cannot break a fault run; the script
 * finds its POM and log4j config beside itself. FAULTS_STACK_FROM=worktree runs the working tree's instead.
 */
function stackScript(home: string): string {
  if (process.env.FAULTS_STACK_FROM === 'worktree') return join(ROOT, 'stack/stack.sh');
  mkdirSync(join(home, 'snapshot/stack'), { recursive: true });
  const files = execFileSync('git', ['ls-tree', '-r', '--name-only', 'HEAD', 'stack/'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(home, 'snapshot', file)), { recursive: true });
    writeFileSync(join(home, 'snapshot', file), execFileSync('git', ['show', `HEAD:${file}`], { cwd: ROOT }));
  }
  return join(home, 'snapshot/stack/stack.sh');
}
