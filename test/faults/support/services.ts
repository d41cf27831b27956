import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './fault-stack.ts';

export type ServiceName = 'ingest' | 'pseudonymise' | 'deliver';

/**
 * One instance of a service, run as `node services/<name>/src/main.ts` under a small supervisor that
 * does what `restart: on-failure` does: a non-zero exit that the suite did not cause is followed by a new
 * process (the services are built to exit non-zero when they cannot go on). An exit 0 nobody asked for is
 * NOT restarted and is counted: that is the "stopped and nobody noticed" failure of issue 12.
 */
export interface Instance {
  name: ServiceName;
  label: string;
  /** Exits the suite did not cause: non-zero ones were restarted, zero ones were not. */
  unexpectedExits: Array<number | string>;
  alive(): boolean;
  /** SIGKILL, then (unless `restart` is false) a new process at once, as a supervisor would. */
  kill9(): Promise<void>;
  /** SIGTERM; resolves with the exit code and how long the exit took. */
  terminate(): Promise<{ code: number | string; ms: number }>;
  start(): void;
  /** Resolves once the instance's log has a line with this message (e.g. 'ingest running'). */
  logged(message: string, timeoutMs?: number): Promise<void>;
}

export function supervise(name: ServiceName, label: string, env: Record<string, string>, logDir: string): Instance {
  let child: ChildProcess | undefined;
  let expected = false; // the suite is stopping this process itself
  let stopped = true;
  const unexpectedExits: Array<number | string> = [];
  const start = () => {
    const log = openSync(logFile, 'a');
    const proc = spawn(process.execPath, [`services/${name}/src/main.ts`], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    child = proc;
    expected = false;
    stopped = false;
    proc.once('exit', (code, signal) => {
      if (expected || child !== proc) return;
      const what = code ?? signal ?? 'unknown';
      unexpectedExits.push(what);
      if (code === 0) {
        stopped = true; // on-failure does not restart an exit 0
        return;
      }
      setTimeout(() => {
        if (child === proc && !expected) start();
      }, 1000);
    });
  };
  const exited = (proc: ChildProcess) =>
    new Promise<number | string>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve(proc.exitCode ?? proc.signalCode ?? 'unknown');
      else proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    });
  const logFile = join(logDir, `${label}.log`);
  return {
    name,
    label,
    logged: async (message, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!readFileSync(logFile, 'utf8').includes(`"msg":"${message}"`)) {
        if (Date.now() > deadline) throw new Error(`${label} did not log "${message}" in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    unexpectedExits,
    alive: () => !stopped && child !== undefined && child.exitCode === null && child.signalCode === null,
    start,
    kill9: async () => {
      const proc = child;
      if (!proc) return;
      expected = true;
      proc.kill('SIGKILL');
      await exited(proc);
      stopped = true;
    },
    terminate: async () => {
      const proc = child;
      if (!proc) return { code: 'not running', ms: 0 };
      expected = true;
      const t0 = Date.now();
      proc.kill('SIGTERM');
      const code = await exited(proc);
      stopped = true;
      return { code, ms: Date.now() - t0 };
    },
  };
}
