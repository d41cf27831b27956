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
