// What a remembered event id costs ingest: bytes per id and time per lookup, for a Set<string> (what
// ingest kept before the window), a Map<string, number> (the least a time window needs: id -> time) and
// EventIdWindow (128-bit hashes in typed arrays). Each structure is built in a process of its own, so one
// does not pay for another's garbage.
//
//   npm run bench:seen-ids -- [--ids 1000000]
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { EventIdWindow } from '@register-feeds/ingest';

const { values } = parseArgs({ options: { ids: { type: 'string', default: '1000000' }, structure: { type: 'string' } } });
const count = Number(values.ids);
const kinds = ['Set<string>', 'Map<string, number>', 'EventIdWindow'] as const;
type Kind = (typeof kinds)[number];

interface Figures {
  kind: Kind;
  bytesPerId: number;
  rememberNs: number;
  hasNs: number;
}

function gcAndMeasure(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function measureOne(kind: Kind): Figures {
  // the lookups' ids, made first so they are not counted; each id the structure keeps is made from bytes
  // on the fly, as a Kafka key arrives, so what it keeps alive is counted and nothing else
  // (randomUUID's strings are concatenations, several hundred bytes each until flattened: made flat here)
  const asKey = (id: string) => Buffer.from(id).toString();
  const probes = Array.from({ length: count }, () => asKey(randomUUID()));
  const before = gcAndMeasure();
  const t0 = performance.now();
  let has: (id: string) => boolean;
  let keep: unknown;
  const now = Date.now();
  if (kind === 'Set<string>') {
    const set = new Set<string>();
    for (const id of probes) set.add(asKey(id));
    has = (id) => set.has(id);
    keep = set;
  } else if (kind === 'Map<string, number>') {
    const map = new Map<string, number>();
    for (const [i, id] of probes.entries()) map.set(asKey(id), now + i);
    has = (id) => map.has(id);
    keep = map;
  } else {
    const window = new EventIdWindow({ maxIds: count, maxAgeMs: 30 * 86_400_000 }, () => now + count);
    for (const [i, id] of probes.entries()) window.remember(asKey(id), now + i);
    has = (id) => window.has(id);
    keep = window;
  }
  const rememberNs = ((performance.now() - t0) * 1e6) / count;
  const after = gcAndMeasure();
  const t1 = performance.now();
  let found = 0;
  for (const id of probes) if (has(id)) found++;
  const hasNs = ((performance.now() - t1) * 1e6) / count;
  if (found !== count || !keep) throw new Error(`${kind}: found ${found} of ${count}`);
  return { kind, bytesPerId: (after - before) / count, rememberNs, hasNs };
}

if (values.structure) {
  process.stdout.write(JSON.stringify(measureOne(values.structure as Kind)));
} else {
  const figures = kinds.map(
    (kind) =>
      JSON.parse(
        execFileSync(process.execPath, ['--expose-gc', new URL(import.meta.url).pathname, '--ids', String(count), '--structure', kind], {
          encoding: 'utf8',
          maxBuffer: 1 << 20,
        }),
      ) as Figures,
  );
  const base = figures[0] as Figures;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`\nseen event ids: ${count.toLocaleString('en')} UUIDs (36 characters), one process per structure`);
  say('| structure | bytes per id | vs Set<string> | remember ns/id | has ns/id |');
  say('|---|---|---|---|---|');
  for (const f of figures) {
    say(
      `| ${f.kind} | ${f.bytesPerId.toFixed(1)} | ${(f.bytesPerId / base.bytesPerId).toFixed(2)}x | ${f.rememberNs.toFixed(0)} | ${f.hasNs.toFixed(0)} |`,
    );
  }
  const window = figures[2] as Figures;
  say(
    `a window of 1,000,000 ids: about ${((window.bytesPerId * 1e6) / 2 ** 20).toFixed(0)} MiB (Set<string>: ${((base.bytesPerId * 1e6) / 2 ** 20).toFixed(0)} MiB)`,
  );
}
