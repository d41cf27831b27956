import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../bench/pipeline/args.ts';
import { parseConsumerSummary, parseProducerSummary } from '../bench/pipeline/perf-tools.ts';
import { cpuModel, latencyText, markdownTable, meets, percentile, ratioText } from '../bench/pipeline/report.ts';
import { parseProcStatTicks, parseProcStatus } from '../bench/support/proc.ts';

// The pure parts of bench:pipeline: what Kafka's tools and /proc print, percentiles and the table.

describe("Kafka's perf tools' summaries", () => {
  it('takes the final ProducerPerformance line, not a progress line', () => {
    const output = [
      '96296 records sent, 18572.0 records/sec (3.54 MB/sec), 268.2 ms avg latency, 757.0 ms max latency.',
      '200000 records sent, 28260.6 records/sec (5.39 MB/sec), 211.11 ms avg latency, 757.00 ms max latency, 122 ms 50th, 550 ms 95th, 680 ms 99th, 742 ms 99.9th.',
      '',
    ].join('\n');
    expect(parseProducerSummary(output)).toEqual({
      records: 200000,
      recordsPerSec: 28260.6,
      mbPerSec: 5.39,
      avgLatencyMs: 211.11,
      maxLatencyMs: 757,
      p50Ms: 122,
      p95Ms: 550,
      p99Ms: 680,
    });
  });

  it('says so when ProducerPerformance printed no summary (it failed)', () => {
    expect(() => parseProducerSummary('Exception in thread "main" org.apache.kafka.common.KafkaException')).toThrow(
      /no ProducerPerformance summary/,
    );
  });

  it('reads ConsumerPerformance by its header names', () => {
    const output = [
      'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
      '2026-11-26 00:42:05:201, 2026-11-26 00:42:07:160, 76.2939, 38.9454, 400000, 204185.8091, 653, 1306, 58.4180, 306278.7136',
    ].join('\n');
    expect(parseConsumerSummary(output)).toEqual({
      records: 400000,
      recordsPerSec: 204185.8091,
      fetchRecordsPerSec: 306278.7136,
      rebalanceMs: 653,
      fetchMs: 1306,
    });
    expect(() => parseConsumerSummary('WARN timeout')).toThrow(/no ConsumerPerformance summary/);
  });
});

describe('/proc', () => {
  it('reads VmRSS and VmHWM from status', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  285000 kB\nVmRSS:\t  263064 kB\nThreads:\t11\n';
    expect(parseProcStatus(status)).toEqual({ rssKb: 263064, peakRssKb: 285000 });
    expect(() => parseProcStatus('Name:\tnode\n')).toThrow(/VmRSS/);
  });

  it('adds utime and stime of stat, counting fields after the last parenthesis of the name', () => {
    // a command name with a space and a parenthesis must not shift the fields
    const stat = '4242 (node main) x) S 1 4242 4242 0 -1 4194560 9000 0 0 0 1234 567 0 0 20 0 11 0 100 1000000 60000';
    expect(parseProcStatTicks(stat)).toBe(1234 + 567);
    expect(() => parseProcStatTicks('garbage')).toThrow();
  });

  it('finds the CPU model in cpuinfo', () => {
    expect(
      cpuModel('processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n'),
    ).toBe('AMD EPYC 7B13');
    expect(cpuModel('processor\t: 0\n')).toBeUndefined();
  });
});

describe('percentiles and the table', () => {
  it('takes nearest-rank percentiles of unsorted values', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(latencyText([10, 20, 30])).toBe('p50 20 / p95 30 / p99 30 ms');
  });

  it('writes ratios with the precision they need', () => {
    expect(ratioText(0.0213)).toBe('0.021×');
    expect(ratioText(0.26)).toBe('0.26×');
    expect(ratioText(1.14)).toBe('1.1×');
    expect(ratioText(17.4)).toBe('17×');
    expect(ratioText(Number.NaN)).toBe('n/a');
  });

  it('checks a ratio against its target', () => {
    expect(meets(0.02, '≥ 0.10×')).toBe(false);
    expect(meets(0.12, '≥ 0.10×')).toBe(true);
    expect(meets(7.7, '≤ 10× (p99)')).toBe(true);
    expect(meets(17, '≤ 10× (p99)')).toBe(false);
    expect(meets(undefined, '≤ 10×')).toBeUndefined();
  });

  it('prints one row per measurement, says which target is not met, and escapes pipes', () => {
    const table = markdownTable([
      { measurement: 'broker | transactional', figure: '190,000 records/s' },
      { measurement: 'pipeline', figure: '4,000 events/s', baseline: 'broker 190,000/s', ratio: 4000 / 190000, target: '≥ 0.10×' },
      { measurement: 'latency', figure: 'p99 90 ms', baseline: 'p99 24 ms', ratio: 90 / 24, target: '≤ 10× (p99)' },
    ]).split('\n');
    expect(table).toEqual([
      '| measurement | figure | baseline (same run) | ratio | target |',
      '|---|---|---|---|---|',
      '| broker \\| transactional | 190,000 records/s |  |  |  |',
      '| pipeline | 4,000 events/s | broker 190,000/s | 0.021× | ≥ 0.10× **not met** |',
      '| latency | p99 90 ms | p99 24 ms | 3.8× | ≤ 10× (p99) met |',
    ]);
  });
});

describe('bench:pipeline arguments', () => {
  it('has defaults for a full run', () => {
    expect(parseBenchArgs([])).toMatchObject({
      events: 100000,
      rates: [50, 1000],
      seconds: 20,
      commitIntervals: [],
      serviceEnv: {},
      skipBroker: false,
      skipLatency: false,
    });
  });

  it('takes lists, repeated service settings and flags', () => {
    const options = parseBenchArgs([
      '--events',
      '5000',
      '--rates',
      '50',
      '--commit-interval',
      '0,20,100',
      '--service-env',
      'EDGE_COMMIT_MAX_RECORDS=500',
      '--service-env',
      'LOG_LEVEL=warn',
      '--skip-broker',
    ]);
    expect(options).toMatchObject({
      events: 5000,
      rates: [50],
      commitIntervals: [0, 20, 100],
      serviceEnv: { EDGE_COMMIT_MAX_RECORDS: '500', LOG_LEVEL: 'warn' },
      skipBroker: true,
    });
  });

  it('refuses what it cannot use', () => {
    expect(() => parseBenchArgs(['--events', 'many'])).toThrow(/--events/);
    expect(() => parseBenchArgs(['--rates', '50,-1'])).toThrow(/--rates/);
    expect(() => parseBenchArgs(['--service-env', 'lower=1'])).toThrow(/--service-env/);
    expect(() => parseBenchArgs(['--unknown'])).toThrow();
  });
});
