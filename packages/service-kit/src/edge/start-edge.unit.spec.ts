import { describe, expect, it } from 'vitest';
import type { ConsumedMessage, OutgoingMessage } from '../kafka/bus.ts';
import { interceptBatches } from '../kafka/intercept-batches.test-support.ts';
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
    ...overrides,
  });
  return { started, lines };
}

const values = (bus: MemoryBus, topic: string) => bus.read(topic).map((m) => String(m.value));

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
    await bus.settled(); // the halted partition is paused: nothing left to do

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
    // the halted batch reached beforeBatch once and was aborted; it is not fetched again
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
    const { started } = edgeOn(bus, {
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
    await bus.settled();

    expect(values(bus, OUT)).toEqual(['A', 'B', 'C', 'D']);
    expect(bus.committedOffset(GROUP, IN, 0)).toBe('4');
    expect(edge.metrics.halted).toEqual(new Map([[0, '4']]));
    expect(edge.metrics).toMatchObject({ records: 4, batches: 2, transactions: 1, produced: { [OUT]: 4 } });
    // the first two batches shared a transaction; the halted batch was not in it and is told of its own abort first
    expect(hookCalls).toEqual(['before 0', 'decided 0: AB', 'before 2', 'decided 2: CD', 'before 4', 'abort 4', 'commit 0', 'commit 2']);
    await edge.stop();
  });
});

/** Counts the batches the consumer hands to the edge, per partition (a fetch of the halted partition included). */
function countHandOuts(bus: MemoryBus): Map<number, number> {
  const handed = new Map<number, number>();
  interceptBatches(bus, (batch, context, next) => {
    handed.set(batch.partition, (handed.get(batch.partition) ?? 0) + 1);
    return next(batch, context);
  });
  return handed;
}

const bugOn =
  (value: string, still: () => boolean = () => true) =>
  (records: { value: string }[]) => {
    if (still() && records.some((r) => r.value === value)) throw new TypeError('cannot read properties of undefined');
    return { outputs: records.map((r) => r.value.toUpperCase()) };
  };

const errors = (lines: Array<Record<string, unknown>>) => lines.filter((l) => l.level === 'error');

describe('a halted partition is paused at the consumer', () => {
  it('is handed over once, and every batch of the other partition is decided and committed without waiting on it', async () => {
    const others = Array.from({ length: 20 }, (_, i) => `p${i}`);
    const bus = await given({ 0: ['boom', 'x', 'y'], 1: others }, { maxBatchRecords: 2 });
    const handed = countHandOuts(bus);
    const { started } = edgeOn(bus, { decide: bugOn('boom') });
    const edge = await started;
    // settles: the paused partition has nothing to do (held and handed back, it never would; and each hold
    // of a second would keep partition 1's next batch waiting)
    await bus.settled();

    expect(handed.get(0)).toBe(1);
    expect(handed.get(1)).toBe(10);
    expect(values(bus, OUT)).toEqual(others.map((v) => v.toUpperCase()));
    expect(bus.committedOffset(GROUP, IN, 1)).toBe('20');
    expect(bus.committedOffset(GROUP, IN, 0)).toBeUndefined();
    expect(edge.metrics.halted).toEqual(new Map([[0, '0']]));
    expect(edge.healthy()).toBe(false);
    expect(edge.ready()).toBe(false);

    // what arrives on the paused partition waits; the other one goes on
    const producer = await bus.producer();
    await producer.send([
      { topic: IN, partition: 0, key: null, value: 'later-0' },
      { topic: IN, partition: 1, key: null, value: 'later-1' },
    ]);
    await bus.settled();
    expect(values(bus, OUT).at(-1)).toBe('LATER-1');
    expect(handed.get(0)).toBe(1);
    await edge.stop();
  });

  it('is read again from its committed offset after a rebalance that leaves it here: halts again without a second error', async () => {
    const bus = await given({ 0: ['a', 'boom'], 1: ['b'] });
    const handed = countHandOuts(bus);
    const { started, lines } = edgeOn(bus, { decide: bugOn('boom') });
    const edge = await started;
    await bus.settled();
    expect(edge.metrics.halted).toEqual(new Map([[0, '0']]));

    const [member] = bus.groupMembers(GROUP);
    bus.evictMember(GROUP, member as string); // joins again, as a new member, and takes up both partitions
    await bus.settled();

    expect(handed.get(0)).toBe(2);
    expect(edge.metrics.halted).toEqual(new Map([[0, '0']]));
    expect(edge.healthy()).toBe(false);
    expect(errors(lines)).toHaveLength(1);
    expect(values(bus, OUT)).toEqual(['B']);
    expect(bus.committedOffset(GROUP, IN, 0)).toBeUndefined();
    await edge.stop();
  });

  it('leaves metrics.halted once a rebalance reads it past the record (a bug that went away)', async () => {
    const bus = await given({ 0: ['a', 'boom', 'c'], 1: ['b'] }, { maxBatchRecords: 1 });
    let buggy = true;
    const { started, lines } = edgeOn(bus, { decide: bugOn('boom', () => buggy) });
    const edge = await started;
    await bus.settled();
    expect(edge.metrics.halted).toEqual(new Map([[0, '1']]));

    buggy = false;
    bus.evictMember(GROUP, bus.groupMembers(GROUP)[0] as string);
    await bus.settled();

    expect(edge.metrics.halted).toEqual(new Map());
    expect(edge.healthy()).toBe(true);
    expect(values(bus, OUT).sort()).toEqual(['A', 'B', 'BOOM', 'C']);
    expect(bus.committedOffset(GROUP, IN, 0)).toBe('3');
    expect(lines.filter((l) => l.msg === 'halted partition read again past the record it halted at: going on')).toMatchObject([
      { level: 'warn', partition: 0, offset: '1' },
    ]);
    await edge.stop();
  });

  it('gone to another member, leaves this one healthy and halts there, loudly; given back, halts here again', async () => {
    // the twin assigns round robin over members by id: the second member takes partition 1
    const bus = await given({ 0: ['a'], 1: ['boom', 'b'] });
    const first = edgeOn(bus, { decide: bugOn('boom') });
    const a = await first.started;
    await bus.settled();
    expect(a.metrics.halted).toEqual(new Map([[1, '0']]));
    expect(errors(first.lines)).toHaveLength(1);

    const second = edgeOn(bus, { decide: bugOn('boom') });
    const b = await second.started;
    await bus.settled();
    expect(a.assignment().map((tp) => tp.partition)).toEqual([0]);
    expect(a.metrics.halted).toEqual(new Map());
    expect(a.healthy()).toBe(true);
    expect(first.lines.filter((l) => l.level === 'warn' && l.partition === 1)).toHaveLength(1);
    expect(b.metrics.halted).toEqual(new Map([[1, '0']]));
    expect(b.healthy()).toBe(false);
    expect(errors(second.lines)).toMatchObject([{ partition: 1, offset: '0' }]);

    await b.stop(); // partition 1 comes back to the first member
    await bus.settled();
    expect(a.metrics.halted).toEqual(new Map([[1, '0']]));
    expect(a.healthy()).toBe(false);
    expect(errors(first.lines)).toHaveLength(2);
    expect(values(bus, OUT)).toEqual(['A']);
    expect(bus.committedOffset(GROUP, IN, 1)).toBeUndefined();
    await a.stop();
  });
});
