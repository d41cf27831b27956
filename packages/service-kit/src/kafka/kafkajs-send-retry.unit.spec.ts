import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// kafkajs 2.2.4's producer send, as patched by patches/kafkajs+2.2.4.patch: a retry after a partition
// leader moved (a broker lost mid-send) must send every message exactly once. Unpatched, it kept one response
// per broker: moved partitions whose new leader had answered were never sent (and send() resolved), and a
// broker whose request was still in flight got the same messages again with advanced sequence numbers, which
// the broker takes as new ones (the fault suite's cluster scenario lost 53 and repeated 142 events so).
// The module is driven here with a cluster of two fake brokers: the client's own code, no broker needed.
const require = createRequire(import.meta.url);
const createSendMessages = require('kafkajs/src/producer/sendMessages.js') as (deps: unknown) => (args: unknown) => Promise<unknown[]>;
const createRetry = require('kafkajs/src/retry/index.js') as (options: unknown) => unknown;
const { KafkaJSConnectionError } = require('kafkajs/src/errors.js') as { KafkaJSConnectionError: new (message: string) => Error };

const TOPIC = 't';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Written {
  broker: number;
  partition: number;
  firstSequence: number;
  values: string[];
}

/** Two brokers; partition p is led by broker leaders[p]; broker 2 refuses its first request, as a killed one does. */
function twoBrokers({ slowBroker1Ms = 0 }: { slowBroker1Ms?: number } = {}) {
  const leaders: Record<number, number> = { 0: 1, 1: 2 };
  const written: Written[] = [];
  let broker2Down = true;
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({
      topicData,
    }: {
      topicData: Array<{
        topic: string;
        partitions: Array<{ partition: number; firstSequence: number; messages: Array<{ value: string }> }>;
      }>;
    }) {
      if (nodeId === 2 && broker2Down) throw new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9094');
      if (nodeId === 1) await sleep(slowBroker1Ms);
      for (const { partitions } of topicData)
        for (const p of partitions)
          written.push({
            broker: nodeId,
            partition: Number(p.partition),
            firstSequence: p.firstSequence,
            values: p.messages.map((m) => m.value),
          });
      return {
        topics: topicData.map(({ topic, partitions }) => ({
          topicName: topic,
          partitions: partitions.map((p) => ({ partition: Number(p.partition), errorCode: 0, baseOffset: '0' })),
        })),
      };
    },
  });
  const brokers = { 1: broker(1), 2: broker(2) } as Record<number, ReturnType<typeof broker>>;
  const cluster = {
    targetTopics: new Set([TOPIC]),
    refreshMetadataIfNecessary: async () => {},
    // the broker is gone: its partition's leadership moved to broker 1
    refreshMetadata: async () => {
      leaders[1] = 1;
    },
    addMultipleTargetTopics: async () => {},
    isConnected: () => true,
    removeBroker: () => {},
    findTopicPartitionMetadata: () => [0, 1].map((partitionId) => ({ partitionId, leader: leaders[partitionId] })),
    findLeaderForPartitions: (_topic: string, partitions: Array<string | number>) => {
      const byLeader: Record<string, number[]> = {};
      for (const p of partitions) {
        const leader = String(leaders[Number(p)]);
        byLeader[leader] = [...(byLeader[leader] ?? []), Number(p)];
      }
      return byLeader;
    },
    findBroker: async ({ nodeId }: { nodeId: string | number }) => brokers[Number(nodeId)],
  };
  const sequences = new Map<string, number>();
  const eosManager = {
    isTransactional: () => false,
    getTransactionalId: () => undefined,
    getProducerId: () => 1,
    getProducerEpoch: () => 0,
    getSequence: (topic: string, partition: number) => sequences.get(`${topic}|${partition}`) ?? 0,
    updateSequence: (topic: string, partition: number, n: number) =>
      sequences.set(`${topic}|${partition}`, (sequences.get(`${topic}|${partition}`) ?? 0) + n),
    acquireBrokerLock: async () => {},
    releaseBrokerLock: async () => {},
    addPartitionsToTransaction: async () => {},
  };
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const send = createSendMessages({
    logger,
    cluster,
    partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    eosManager,
    retrier: createRetry({ initialRetryTime: 5, retries: 3 }),
  });
  const messages = [
    { partition: 0, value: 'a' },
    { partition: 0, value: 'b' },
    { partition: 1, value: 'c' },
    { partition: 1, value: 'd' },
  ];
  return {
    send: () => send({ acks: -1, timeout: 1000, topicMessages: [{ topic: TOPIC, messages }] }),
    written,
    allowBroker2: () => {
      broker2Down = false;
    },
  };
}

const valuesOf = (written: Written[]) => written.flatMap((w) => w.values).sort();

describe('kafkajs send, retried after a partition leader moved (patched)', () => {
  it('sends the moved partition to its new leader even when that leader answered the first attempt', async () => {
    const cluster = twoBrokers();
    const responses = await cluster.send();
    expect(valuesOf(cluster.written)).toEqual(['a', 'b', 'c', 'd']);
    expect(cluster.written.filter((w) => w.partition === 1).map((w) => w.broker)).toEqual([1]);
    expect(responses).toHaveLength(2); // one per partition
  });

  it('does not send again to a broker whose request of the failed attempt was still in flight', async () => {
    const cluster = twoBrokers({ slowBroker1Ms: 50 });
    await cluster.send();
    expect(valuesOf(cluster.written)).toEqual(['a', 'b', 'c', 'd']);
    // partition 0 written once, with the first sequence numbers
    expect(cluster.written.filter((w) => w.partition === 0)).toEqual([{ broker: 1, partition: 0, firstSequence: 0, values: ['a', 'b'] }]);
  });

  it('sends everything once when nothing fails', async () => {
    const cluster = twoBrokers();
    cluster.allowBroker2();
    await cluster.send();
    expect(cluster.written.map((w) => [w.broker, w.partition, w.values.join('')]).sort()).toEqual([
      [1, 0, 'ab'],
      [2, 1, 'cd'],
    ]);
  });
});
