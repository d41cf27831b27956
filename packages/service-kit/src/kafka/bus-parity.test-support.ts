import { randomBytes } from 'node:crypto';
import { isProducerFenced, type MessageBus, type PartitionProgress } from './bus.ts';

/**
 * The bus parity script: sends, transactions, an abort, a fencing and a group that reads to the end, and
 * everything a service could observe of it (key to partition, offsets with their markers, what
 * read_committed shows, committed offsets, progress, the fenced commit). Run on two buses, the results must be
 * equal: the memory twin against kafkajs (memory-bus.parity.int.spec.ts), @platformatic/kafka against the twin
 * (platformatic-bus.parity.int.spec.ts).
 */

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const KEYS = Array.from({ length: 12 }, (_, i) => `student-${i}`);

async function until(description: () => string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function observe(bus: MessageBus) {
  const topic = unique('twin-parity');
  const group = unique('twin-parity-source');
  const transactionalId = unique('twin-parity-tx');
  const admin = await bus.admin();
  await admin.ensureTopics([{ name: topic, partitions: 6, replicationFactor: 1 }]);

  const producer = await bus.producer();
  await producer.send(KEYS.map((key) => ({ topic, key, value: key })));

  const first = await bus.transactionalProducer(transactionalId);
  const committed = await first.transaction();
  await committed.send([
    { topic, key: null, value: 'tx-a', partition: 0 },
    { topic, key: null, value: 'tx-b', partition: 0 },
  ]);
  await committed.sendOffsets(group, [{ topic, partition: 0, offset: '1' }]);
  await committed.commit();
  const aborted = await first.transaction();
  await aborted.send([{ topic, key: null, value: 'tx-aborted', partition: 0 }]);
  await aborted.sendOffsets(group, [{ topic, partition: 3, offset: '99' }]);
  await aborted.abort();
  // not on partition 0: the broker writes the markers shortly after commit and abort return, so a record
  // sent right after may land in front of the abort marker (the twin writes them at once)
  await producer.send([{ topic, key: null, value: 'plain', partition: 5 }]);

  // a zombie's open transaction, ended by the successor that takes its id
  const zombie = await first.transaction();
  await zombie.send([{ topic, key: null, value: 'zombie', partition: 1 }]);
  const successor = await bus.transactionalProducer(transactionalId);
  const next = await successor.transaction();
  await next.send([{ topic, key: null, value: 'successor', partition: 1 }]);
  await next.commit();
  const zombieCommit = await zombie.commit().then(
    () => 'committed',
    (error: unknown) => (isProducerFenced(error) ? 'fenced' : `failed otherwise: ${String(error)}`),
  );

  const ends = await admin.topicOffsets(topic);
  const seen: string[] = [];
  const last = new Map<number, PartitionProgress>();
  const reader = await bus.consumer({ groupId: unique('twin-parity-reader') });
  reader.onProgress((p) => last.set(p.partition, p));
  await reader.subscribe([topic], { fromBeginning: true });
  await reader.run({
    autoCommit: true,
    eachBatch: async (batch) => {
      for (const m of batch.messages) seen.push(`${m.partition}:${m.offset}:${m.value?.toString()}`);
    },
  });
  await until(
    () =>
      `the reader to reach the end of every partition: ends ${JSON.stringify(ends)}, progress ${JSON.stringify([...last.values()])}, seen ${seen.join(' ')}`,
    () => ends.every((e) => e.high === e.low || last.get(e.partition)?.lastOffset === (BigInt(e.high) - 1n).toString()),
  );
  await reader.disconnect();

  const byPartition = <T extends { partition: number }>(list: T[]) => [...list].sort((a, b) => a.partition - b.partition);
  const observed = {
    partitionOfKey: Object.fromEntries(
      seen
        .map((s) => s.split(':'))
        .filter(([, , value]) => value?.startsWith('student-'))
        .map(([partition, , value]) => [value, Number(partition)]),
    ),
    readCommitted: [...seen].sort(),
    ends: byPartition(ends),
    sourceGroup: byPartition(await admin.groupOffsets(group, topic)).map(({ partition, offset }) => ({ partition, offset })),
    finalProgress: [...last.values()].sort((a, b) => a.partition - b.partition).map(({ topic: _t, ...p }) => p),
    zombieCommit,
  };
  await Promise.allSettled([producer.disconnect(), first.disconnect(), successor.disconnect()]);
  await admin.deleteTopics([topic]).catch(() => {});
  await admin.disconnect();
  return observed;
}

/**
 * The parity script of Consumer.pause: a partition paused as its first assignment is taken up is not handed
 * over while the other goes on, resume() reads on from where it stood, and a rebalance (a second member
 * joins) ends every pause: what was written meanwhile is read by whoever holds the partition now.
 */
export async function observePause(bus: MessageBus) {
  const topic = unique('twin-parity-pause');
  const group = unique('twin-parity-pause-group');
  const admin = await bus.admin();
  await admin.ensureTopics([{ name: topic, partitions: 2, replicationFactor: 1 }]);
  const producer = await bus.producer();
  const send = (values: Array<[partition: number, value: string]>) =>
    producer.send(values.map(([partition, value]) => ({ topic, key: null, value, partition })));
  await send([
    [0, 'a0'],
    [1, 'b0'],
  ]);

  const seen = new Set<string>();
  const has = (...entries: string[]) => entries.every((e) => seen.has(e));
  const partitions = (list: Array<{ partition: number }>) => list.map((tp) => tp.partition).sort();
  const ofPartition = (partition: number) => [...seen].filter((s) => s.startsWith(`${partition}:`)).sort();
  // a short session: the first member hears of the second's join within a heartbeat
  const options = { groupId: group, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 200 };
  const run = async (consumer: Awaited<ReturnType<MessageBus['consumer']>>) => {
    await consumer.subscribe([topic], { fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      eachBatch: async (batch) => {
        for (const m of batch.messages) seen.add(`${m.partition}:${m.value?.toString()}`);
      },
    });
  };
  const first = await bus.consumer(options);
  let assignments = 0;
  first.onAssignment(() => {
    // before any batch of the assignment: a pause from before the join would have ended with it
    if (++assignments === 1) first.pause([{ topic, partition: 0 }]);
  });
  await run(first);
  await until(
    () => `b0 read: ${[...seen]}`,
    () => has('1:b0'),
  );
  // written first to the paused partition: a fetch that brings b1 would bring a1 too, were it not paused
  await send([
    [0, 'a1'],
    [1, 'b1'],
  ]);
  await until(
    () => `b1 read: ${[...seen]}`,
    () => has('1:b1'),
  );
  const whilePaused = { partition0: ofPartition(0), paused: partitions(first.paused()) };

  first.resume([{ topic, partition: 0 }]);
  await until(
    () => `a0 and a1 read after resume(): ${[...seen]}`,
    () => has('0:a0', '0:a1'),
  );
  const afterResume = { partition0: ofPartition(0), paused: partitions(first.paused()) };

  first.pause([
    { topic, partition: 0 },
    { topic, partition: 1 },
  ]);
  await send([
    [0, 'a2'],
    [1, 'b2'],
  ]);
  const second = await bus.consumer(options);
  await run(second);
  await until(
    () => `a2 and b2 read after the rebalance: ${[...seen]}`,
    () => has('0:a2', '1:b2'),
  );
  const afterRebalance = {
    seen: [...seen].sort(),
    paused: partitions([...first.paused(), ...second.paused()]),
    held: [first.assignment().length, second.assignment().length].sort(),
    firstTookUpMoreThanOnce: assignments > 1,
  };

  await Promise.allSettled([first.disconnect(), second.disconnect(), producer.disconnect()]);
  await admin.deleteTopics([topic]).catch(() => {});
  await admin.disconnect();
  return { whilePaused, afterResume, afterRebalance };
}
