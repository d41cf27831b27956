import { describe, expect, it } from 'vitest';
import { type CpuProfile, entryOf, formatSummary, packageOf, summariseProfile } from '../scripts/cpu-profile-top.ts';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0, columnNumber: 0 });

// (root) -> processBatch (service-kit) -> decide (ingest) -> JSON.parse (builtin, no URL)
//                                     -> send (kafkajs) -> murmur2 (kafkajs)
//        -> (garbage collector), (idle)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 6, 7] },
    { id: 2, callFrame: frame('processBatch', 'file:///work/main/packages/service-kit/src/edge/start-edge.ts'), children: [3, 4] },
    { id: 3, callFrame: frame('decide', 'file:///work/main/services/ingest/src/decide.ts'), children: [8] },
    { id: 4, callFrame: frame('send', 'file:///work/main/node_modules/kafkajs/src/producer/index.js'), children: [5] },
    { id: 5, callFrame: frame('murmur2', 'file:///work/main/node_modules/kafkajs/src/murmur2.js') },
    { id: 6, callFrame: frame('(garbage collector)') },
    { id: 7, callFrame: frame('(idle)') },
    { id: 8, callFrame: frame('parse') },
  ],
  startTime: 0,
  endTime: 1000,
  // each sample stands for the delta before the next one: 3: 10, 8: 20, 5: 30, 6: 15, 7: 100, 2: 25, 3: 0 (last)
  samples: [3, 8, 5, 6, 7, 2, 3],
  timeDeltas: [0, 10, 20, 30, 15, 100, 25],
};

describe('packageOf', () => {
  it('given script URLs, when classified, then npm packages, node core, crypto and our workspaces are told apart', () => {
    expect(packageOf('file:///w/node_modules/kafkajs/src/x.js', 'f')).toBe('kafkajs');
    expect(packageOf('file:///w/node_modules/@kafkajs/confluent-schema-registry/dist/x.js', 'f')).toBe('schema registry client');
    expect(packageOf('file:///w/node_modules/avsc/lib/types.js', 'f')).toBe('avsc');
    expect(packageOf('file:///w/node_modules/pino/lib/proto.js', 'f')).toBe('pino');
    expect(packageOf('file:///w/node_modules/sonic-boom/index.js', 'f')).toBe('pino');
    expect(packageOf('file:///w/node_modules/@platformatic/kafka/dist/x.js', 'f')).toBe('npm:@platformatic/kafka');
    expect(packageOf('node:internal/crypto/hash', 'Hmac')).toBe('node crypto');
    expect(packageOf('node:internal/streams/readable', 'read')).toBe('node core');
    expect(packageOf('file:///w/services/pseudonymise/src/pseudonym.ts', 'keyed')).toBe('ours:pseudonymise');
    expect(packageOf('file:///w/packages/service-kit/src/registry/schema-registry.ts', 'encode')).toBe('ours:service-kit');
    expect(packageOf('', '(garbage collector)')).toBe('GC');
    expect(packageOf('', 'parse')).toBeUndefined();
  });
});

describe('entryOf', () => {
  it('given the frames of a service process or a benchmark, when asked, then it names the main script', () => {
    const withMain = (url: string): CpuProfile => ({ ...profile, nodes: [...profile.nodes, { id: 99, callFrame: frame('', url) }] });
    expect(entryOf(withMain('file:///w/services/deliver/src/main.ts'))).toBe('service deliver');
    expect(entryOf(withMain('file:///w/bench/ingest.bench.ts'))).toBe('bench ingest');
    expect(entryOf(profile)).toBeUndefined();
  });
});

describe('summariseProfile', () => {
  const summary = summariseProfile(profile);

  it('given samples, when summarised, then idle time is apart and busy time is the sum of the other deltas', () => {
    expect(summary.idleUs).toBe(100);
    expect(summary.busyUs).toBe(10 + 20 + 30 + 15 + 25);
  });

  it('given a builtin without a URL, when summarised, then its self time counts towards the package that called it', () => {
    expect(summary.byPackage).toEqual([
      { name: 'kafkajs', us: 30, share: 30 / 100 },
      { name: 'ours:ingest', us: 30, share: 30 / 100 },
      { name: 'ours:service-kit', us: 25, share: 25 / 100 },
      { name: 'GC', us: 15, share: 15 / 100 },
    ]);
    expect(summary.byFunction.find((r) => r.name.startsWith('parse'))).toMatchObject({ name: 'parse (native, in ours:ingest)', us: 20 });
  });

  it('given nested frames, when summarised, then inclusive time counts a package once per sample with all it called', () => {
    const inclusive = Object.fromEntries(summary.inclusiveByPackage.map((r) => [r.name, r.us]));
    expect(inclusive).toEqual({ 'ours:service-kit': 85, 'ours:ingest': 30, kafkajs: 30, GC: 15 });
  });

  it('given top, when summarised, then only the top functions are listed, largest first', () => {
    const top = summariseProfile(profile, { top: 2 }).byFunction;
    expect(top.map((r) => r.us)).toEqual([30, 25]);
  });

  it('given a number of events, when formatted, then each row has its µs per event', () => {
    const text = formatSummary('t', summary, 10);
    expect(text).toContain('busy 0 ms (10.0 µs/event over 10 events)');
    expect(text).toContain('| kafkajs | 0 | 30.0% | 3.0 |');
  });
});
