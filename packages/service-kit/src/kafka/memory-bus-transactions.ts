import { ProducerFencedError, type TopicPartitionOffset } from './bus.ts';
import type { MemoryGroup } from './memory-bus-group.ts';
import type { ChangeSignal, PartitionLog, TransactionStatus } from './memory-bus-log.ts';

/**
 * The twin's transaction coordinator. A transactional id has an epoch: initialising the id (a producer's
 * first transaction) raises it, which fences every older producer with that id (their next operation
 * throws ProducerFencedError) and aborts the transaction the older one left open, as the broker does.
 * Records sent in a transaction are in the log at once but invisible to read_committed readers until the
 * commit marker; the offsets sent with it are committed for the group only by the commit.
 */

export interface OpenTransaction {
  readonly transactionalId: string;
  readonly epoch: number;
  readonly status: TransactionStatus;
  readonly partitions: Set<PartitionLog>;
  readonly offsets: Array<{ group: MemoryGroup; offsets: TopicPartitionOffset[] }>;
}

export class TransactionCoordinator {
  private readonly ids = new Map<string, { epoch: number; open?: OpenTransaction }>();

  private readonly signal: ChangeSignal;
  private readonly now: () => number;

  constructor(signal: ChangeSignal, now: () => number) {
    this.signal = signal;
    this.now = now;
  }

  /** InitProducerId: a new epoch for the id; the previous holder is fenced and its open transaction aborted */
  initialise(transactionalId: string): number {
    const entry = this.ids.get(transactionalId) ?? { epoch: -1 };
    if (entry.open) this.end(entry.open, 'aborted');
    entry.epoch++;
    entry.open = undefined;
    this.ids.set(transactionalId, entry);
    return entry.epoch;
  }

  /** throws ProducerFencedError when a newer producer initialised the id */
  check(transactionalId: string, epoch: number): void {
    const current = this.ids.get(transactionalId)?.epoch;
    if (current !== epoch)
      throw new ProducerFencedError(
        `producer fenced: transactional id ${transactionalId} has epoch ${String(current)}, this producer ${epoch} (Producer attempted an operation with an old epoch)`,
      );
  }

  begin(transactionalId: string, epoch: number): OpenTransaction {
    this.check(transactionalId, epoch);
    const entry = this.ids.get(transactionalId);
    if (!entry) throw new Error(`transactional id ${transactionalId} was not initialised`);
    if (entry.open) throw new Error(`transactional id ${transactionalId} already has a transaction in progress`);
    entry.open = { transactionalId, epoch, status: { status: 'open' }, partitions: new Set(), offsets: [] };
    return entry.open;
  }

  /** writes the markers (each takes an offset), commits the offsets sent with a committed transaction */
  end(tx: OpenTransaction, outcome: 'committed' | 'aborted'): void {
    if (tx.status.status !== 'open') throw new Error(`transaction of ${tx.transactionalId} is already ${tx.status.status}`);
    tx.status.status = outcome;
    const timestamp = String(this.now());
    for (const log of tx.partitions) log.endTransaction(tx.status, timestamp);
    if (outcome === 'committed')
      for (const { group, offsets } of tx.offsets) for (const o of offsets) group.commit(o.topic, o.partition, BigInt(o.offset));
    const entry = this.ids.get(tx.transactionalId);
    if (entry?.open === tx) entry.open = undefined;
    this.signal.notify();
  }
}
