// A CPU profile of one part of a benchmark: with BENCH_CPU_PROF_DIR set, the work is profiled (V8's
// sampling profiler through node:inspector) and written as <dir>/<name>-<time>.cpuprofile. Only the
// service's part is profiled, not the publishing nor the baseline, which `node --cpu-prof` would mix in.
// Read it with `node scripts/cpu-profile-top.ts <file> --events N`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

export async function profiled<T>(name: string, work: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  if (!dir) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // 250 µs: enough samples for a few seconds of work, little enough overhead to keep the shape
  await session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_CPU_PROF_INTERVAL_US ?? 250) });
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}-${new Date().toISOString().replaceAll(':', '-')}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    process.stderr.write(`bench: CPU profile of ${name} in ${file}\n`);
  }
}
