import { describe, expect, it } from 'vitest';
import type { ConsumedMessage, OutgoingMessage } from '../kafka/bus.ts';
import { createMemoryBus, type MemoryBus } from '../kafka/memory-bus.ts';
import { createLogger } from '../log/logger.ts';
import type { DeadLetterWriter } from '../registry/dead-letter.ts';
import { RecordUndecodableError, RegistryUnavailableError } from '../registry/errors.ts';
import { type EdgeHooks, type EdgeOptions, startEdge } from './start-edge.ts';

// The edge's one error policy on the broker-free twin: an outage is retried and never dead-lettered,
// poison is dead-lettered with its reasons and coordinates while the batch goes on, a bug halts only its
// partition with nothing of it committed, and a failed commit neither loses nor repeats a record.

const IN = 'in';
const OUT = 'out';
const DLQ = 'dlq';
const GROUP = 'edge-test';

/** Dead letters as JSON, so the test reads them without a registry (the real writer is createDeadLetterWriter). */
const jsonDeadLetter: DeadLetterWriter = async (source, reasons) => ({
  topic: DLQ,
  key: `${source.topic}/${source.partition}/${source.offset}`,
  value: JSON.stringify({ sourceOffset: source.offset, originalValue: source.value?.toString(), reasons }),
});

function logCapture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    service: 'edge-test',
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

/** given: the records on the input topic, partition by partition */
async function given(records: Record<number, string[]>, options?: { maxBatchRecords: number }): Promise<MemoryBus> {
  const bus = createMemoryBus(options);
  const admin = await bus.admin();
  await admin.ensureTopics([IN, OUT, DLQ].map((name) => ({ name, partitions: 2, replicationFactor: 1 })));
  await admin.disconnect();
  const producer = await bus.producer();
  await producer.send(
    Object.entries(records).flatMap(([partition, values]) =>
      values.map((value): OutgoingMessage => ({ topic: IN, partition: Number(partition), key: null, value })),
    ),
  );
  await producer.disconnect();
  return bus;
}

/** when: an edge that upper-cases every value */
function edgeOn(bus: MemoryBus, overrides: Partial<EdgeOptions<string, string>> = {}) {
  const { logger, lines } = logCapture();
  const started = startEdge<string, string>({
    bus,
    groupId: GROUP,
    topic: IN,
    logger,
    deadLetter: jsonDeadLetter,
    decode: (m: ConsumedMessage) => String(m.value),
    decide: (records) => ({ outputs: records.map((r) => r.value.toUpperCase()) }),
    encode: (value) => [{ topic: OUT, key: 'k', value }],
    retry: { initialDelayMs: 1, maxDelayMs: 2 },
    haltPollMs: 2,
    ...overrides,
  });
  return { started, lines };
}

const values = (bus: MemoryBus, topic: string) => bus.read(topic).map((m) => String(m.value));

/** waits for a condition the twin reaches without timers of its own (a halted partition never settles) */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !condition(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(condition()).toBe(true);
}

describe('startEdge', () => {
  it('retries a registry outage in decode and in encode, then processes every record once, dead-lettering nothing', async () => {
    const bus = await given({ 0: ['a', 'b', 'c'] });
    let decodeFailures = 2;
    let encodeFailures = 1;
    const { started, lines } = edgeOn(bus, {
      decode: (m) => {
        if (String(m.value) === 'b' && decodeFailures-- > 0) throw new RegistryUnavailableError('registry down');
        return String(m.value);
      },
      encode: (value) => {
        if (value === 'C' && encodeFailures-- > 0) throw new RegistryUnavailableError('registry down');
        return [{ topic: OUT, key: 'k', value }];
      },
    });
    const edge = await started;
    await bus.settled();

    expect(values(bus, OUT)).toEqual(['A', 'B', 'C']);
    expect(values(bus, DLQ)).toEqual([]);
    expect(edge.metrics).toMatchObject({ records: 3, deadLettered: 0, batches: 1, transactions: 1, produced: { [OUT]: 3 } });
    expect(edge.metrics.lag.get(0)).toBe(0);
    expect(lines.filter((l) => String(l.msg).includes('not available now (an outage): retrying'))).toHaveLength(3);
    expect(edge.healthy()).toBe(true);
    expect(
      edge
        .assignment()
        .map((tp) => tp.partition)
        .sort(),
    ).toEqual([0, 1]);
    await edge.stop();
  });

  it('holds a batch whose outage outlasts the consumer: stop is prompt, nothing is committed, and the next run processes it once', async () => {
    const bus = await given({ 0: ['a', 'b'] });
    let registryUp = false;
    const decode = (m: ConsumedMessage) => {
      if (!registryUp) throw new RegistryUnavailableError('registry down');
      return String(m.value);
    };
    const first = edgeOn(bus, { decode });
    const down = await first.started;
    await bus.waitUntil(() => first.lines.filter((l) => l.msg === 'not available now (an outage): retrying').length >= 3);
    await down.stop();
    expect(values(bus, OUT)).toEqual([]);
    expect(values(bus, DLQ)).toEqual([]);
    expect(bus.committedOffset(GROUP, IN, 0)).toBeUndefined();

    registryUp = true;
    const up = await edgeOn(bus, { decode }).started;
    await bus.settled();
    expect(values(bus, OUT)).toEqual(['A', 'B']);
    await up.stop();
  });

  it('dead-letters poison with its reasons and source coordinates, and the rest of the batch goes on', async () => {
    const bus = await given({ 0: ['a', 'unreadable', 'b', 'refused'] });
    const { started } = edgeOn(bus, {
      decode: (m) => {
        if (String(m.value) === 'unreadable') throw new RecordUndecodableError('not-avro', 'the bytes are not Avro');
        return String(m.value);
      },
      decodeFailure: { rule: 'decode', message: 'not a readable record' },
      decide: (records) => ({
        outputs: records.filter((r) => r.value !== 'refused').map((r) => r.value.toUpperCase()),
        refused: records
          .filter((r) => r.value === 'refused')
          .map((r) => ({ source: r.message, reasons: [{ field: 'x', rule: 'not-allowed', message: 'x is not allowed' }] })),
        tally: { looked: records.length },
      }),
    });
    const edge = await started;
    await bus.settled();

    expect(values(bus, OUT)).toEqual(['A', 'B']);
    const deadLetters = bus.read(DLQ).map((m) => ({ key: String(m.key), ...JSON.parse(String(m.value)) }));
    expect(deadLetters).toEqual([
      {
        key: 'in/0/1',
        sourceOffset: '1',
        originalValue: 'unreadable',
        reasons: [{ field: '', rule: 'not-avro', message: 'not a readable record: the bytes are not Avro' }],
      },
      {
        key: 'in/0/3',
        sourceOffset: '3',
        originalValue: 'refused',
        reasons: [{ field: 'x', rule: 'not-allowed', message: 'x is not allowed' }],
      },
    ]);
    expect(edge.metrics).toMatchObject({ records: 4, deadLettered: 2, produced: { [OUT]: 2 }, tally: { looked: 3 } });
    expect(bus.committedOffset(GROUP, IN, 0)).toBe('4');
    expect(edge.healthy()).toBe(true);
    await edge.stop();
  });

  it.each([
    { stage: 'decide', haltedAt: '0' },
    { stage: 'decode', haltedAt: '1' },
    { stage: 'encode', haltedAt: '0' },
  ])('a bug in $stage halts only its partition, loudly, with nothing of it committed or dead-lettered', async ({ stage, haltedAt }) => {
    const bus = await given({ 0: ['x', 'boom', 'y'], 1: ['p', 'q'] });
    const hookCalls: string[] = [];
    const hooks: EdgeHooks<string> = {
      beforeBatch: async (batch) => void hookCalls.push(`before ${batch.partition}`),
      afterCommit: (batch) => void hookCalls.push(`commit ${batch.partition}`),
      afterAbort: (batch) => void hookCalls.push(`abort ${batch.partition}`),
    };
    const bug = () => {
      throw new TypeError('cannot read properties of undefined');
    };
    const { started, lines } = edgeOn(bus, {
      hooks,
      decode: (m) => (stage === 'decode' && String(m.value) === 'boom' ? bug() : String(m.value)),
      decide: (records) =>
        stage === 'decide' && records.some((r) => r.value === 'boom') ? bug() : { outputs: records.map((r) => r.value.toUpperCase()) },
      encode: (value) => (stage === 'encode' && value === 'BOOM' ? bug() : [{ topic: OUT, key: 'k', value }]),
    });
    const edge = await started;
    // the halted partition's batch is handed back again and again: wait for it to have been held a few times
    const held = () => lines.filter((l) => l.msg === 'halted partition: batch held').length;
    await until(() => values(bus, OUT).length === 2 && held() >= 3);

    expect(values(bus, OUT)).toEqual(['P', 'Q']);
    expect(values(bus, DLQ)).toEqual([]);
    expect(bus.committedOffset(GROUP, IN, 0)).toBeUndefined();
    expect(bus.committedOffset(GROUP, IN, 1)).toBe('2');
    expect(edge.metrics.halted).toEqual(new Map([[0, haltedAt]]));
    expect(edge.metrics).toMatchObject({ records: 2, deadLettered: 0 });
    expect(edge.healthy()).toBe(false);
    const halts = lines.filter((l) => l.level === 'error');
    expect(halts).toHaveLength(1);
    expect(halts[0]).toMatchObject({ partition: 0, offset: haltedAt, type: stage });
    // the halted batch reached beforeBatch once and was aborted; later fetches of it reach no hook
    expect(hookCalls.filter((c) => c.endsWith(' 0'))).toEqual(['before 0', 'abort 0']);
    expect(hookCalls.filter((c) => c.endsWith(' 1'))).toEqual(['before 1', 'commit 1']);
    await edge.stop();
  });

  it.each([
    { afterEffect: false, what: 'a commit that failed' },
    { afterEffect: true, what: 'a commit that took effect but whose answer was lost' },
  ])('after $what, every record comes out exactly once', async ({ afterEffect }) => {
    const bus = await given({ 0: ['a', 'b'], 1: ['c'] });
    bus.faults.failNext('commit', { afterEffect });
    const aborted: number[] = [];
    const { started } = edgeOn(bus, { hooks: { afterAbort: (batch) => void aborted.push(batch.partition) } });
    const edge = await started;
    await bus.settled();

    expect(values(bus, OUT).sort()).toEqual(['A', 'B', 'C']);
    expect(bus.committedOffset(GROUP, IN, 0)).not.toBeUndefined();
    expect(aborted).toHaveLength(1);
    // a commit whose answer was lost is not counted: the edge cannot know it happened
    expect(edge.metrics.records).toBe(afterEffect ? 3 - (aborted[0] === 0 ? 2 : 1) : 3);
    await edge.stop();
  });

  it('with transactions spanning batches, the batches before a bug commit and are counted per batch; the halted one commits nothing', async () => {
    const bus = await given({ 0: ['a', 'b', 'c', 'd', 'boom', 'e'] }, { maxBatchRecords: 2 });
    const hookCalls: string[] = [];
    const { started, lines } = edgeOn(bus, {
      commit: { intervalMs: 60_000, maxRecords: 10_000 },
      hooks: {
        beforeBatch: async (batch) => void hookCalls.push(`before ${batch.messages[0]?.offset}`),
        decided: (batch, decided) => void hookCalls.push(`decided ${batch.messages[0]?.offset}: ${decided.outputs.join('')}`),
        afterCommit: (batch) => void hookCalls.push(`commit ${batch.messages[0]?.offset}`),
        afterAbort: (batch) => void hookCalls.push(`abort ${batch.messages[0]?.offset}`),
      },
      decide: (records) => {
        if (records.some((r) => r.value === 'boom')) throw new TypeError('cannot read properties of undefined');
        return { outputs: records.map((r) => r.value.toUpperCase()) };
      },
    });
    const edge = await started;
    await until(() => lines.filter((l) => l.msg === 'halted partition: batch held').length >= 2);

    expect(values(bus, OUT)).toEqual(['A', 'B', 'C', 'D']);
    expect(bus.committedOffset(GROUP, IN, 0)).toBe('4');
    expect(edge.metrics.halted).toEqual(new Map([[0, '4']]));
    expect(edge.metrics).toMatchObject({ records: 4, batches: 2, transactions: 1, produced: { [OUT]: 4 } });
    // the first two batches shared a transaction; the halted batch was not in it and is told of its own abort first
    expect(hookCalls).toEqual(['before 0', 'decided 0: AB', 'before 2', 'decided 2: CD', 'before 4', 'abort 4', 'commit 0', 'commit 2']);
    await edge.stop();
  });
});
