import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rawPersonKey } from '@register-feeds/contracts';
import { createKafkajsBus, createLogger, type Producer } from '@register-feeds/service-kit';
import { ROOT } from './fault-stack.ts';

/**
 * The load: `npm run generate` with a fixed seed, written to a file once, so every scenario and the
 * undisturbed baseline get the very same events (same eventIds, so the same record ids downstream).
 */
export function generateLoad(dir: string, seed: number, total: number): string[] {
  const file = join(dir, `load-${seed}-${total}.jsonl`);
  execFileSync(process.execPath, ['tools/generator/src/cli.ts', '--seed', String(seed), '--total', String(total), '--out', file], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

export interface Publisher {
  /** How many lines the broker has accepted so far. */
  sent(): number;
  /** Resolves when every line was accepted. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Publishes lines at a steady rate (measured from the start, so an outage is made up afterwards, as a
 * register's backlog would be), keyed like the register does. A batch the broker does not take is sent again
 * until it does, through a new producer when the old one gave up: at least once, as a real register
 * would; ingest drops repeated eventIds, so a repeat is ingest's to handle, and part of what is tested.
 */
export function publishSteadily(brokers: string, topic: string, lines: string[], perSecond: number): Publisher {
  const logger = createLogger({ service: 'faults-load', level: 'fatal' });
  const bus = createKafkajsBus({ brokers: brokers.split(','), clientId: 'faults-load', logger });
  let producer: Producer | undefined;
  let accepted = 0;
  let stopping = false;
  const batch = Math.max(1, Math.ceil(perSecond / 10));
  const started = performance.now();
  const done = (async () => {
    for (let i = 0; i < lines.length && !stopping; i += batch) {
      const due = started + (i / perSecond) * 1000 - performance.now();
      if (due > 0) await new Promise((r) => setTimeout(r, due));
      const messages = lines.slice(i, i + batch).map((value) => ({ topic, key: rawPersonKey(value), value }));
      for (;;) {
        try {
          producer ??= await bus.producer();
          await producer.send(messages);
          break;
        } catch {
          if (stopping) return;
          await producer?.disconnect().catch(() => {});
          producer = undefined;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      accepted += messages.length;
    }
  })();
  return {
    sent: () => accepted,
    done,
    stop: async () => {
      stopping = true;
      await done.catch(() => {});
      await producer?.disconnect().catch(() => {});
    },
  };
}
