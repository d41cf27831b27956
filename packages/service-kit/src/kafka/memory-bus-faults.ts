/**
 * Faults on purpose: a test says which operation of the twin fails next, how often and how, and the twin
 * fails it at that point, as the broker or the network would.
 */

/** Where a fault can be put. `fetch` crashes the consumer member that fetches next (as a lost coordinator does). */
export type MemoryBusOperation =
  | 'send'
  | 'transaction'
  | 'transactionalSend'
  | 'sendOffsets'
  | 'commit'
  | 'abort'
  | 'fetch'
  | 'groupOffsets';

export interface FaultOptions {
  /** how many times in a row (default 1) */
  times?: number;
  /** what is thrown (default a retriable MemoryBusFaultError, as a broker that is away) */
  error?: Error | (() => Error);
  /** only an operation on this topic (send), by this group (fetch, sendOffsets, groupOffsets) or this transactional id */
  topic?: string;
  groupId?: string;
  transactionalId?: string;
  /**
   * the operation takes effect and only its answer is lost (a commit that reached the broker while the
   * connection broke): the caller sees an error for something that did happen
   */
  afterEffect?: boolean;
}

/** A broker or a connection that is not there right now: retriable, like kafkajs's connection errors. */
export class MemoryBusFaultError extends Error {
  readonly retriable = true;
  constructor(message: string) {
    super(message);
    this.name = 'MemoryBusFaultError';
  }
}

export interface FaultContext {
  topic?: string;
  groupId?: string;
  transactionalId?: string;
}

interface Armed extends FaultOptions {
  operation: MemoryBusOperation;
  left: number;
}

export class MemoryBusFaults {
  private armed: Armed[] = [];

  /** `onArm` wakes the twin, so a consumer waiting for records meets a fetch fault at once */
  private readonly onArm: () => void;

  constructor(onArm: () => void = () => {}) {
    this.onArm = onArm;
  }

  /** the next `times` matching calls of `operation` fail */
  failNext(operation: MemoryBusOperation, options: FaultOptions = {}): void {
    this.armed.push({ ...options, operation, left: options.times ?? 1 });
    this.onArm();
  }

  /** drops every fault not yet used */
  clear(): void {
    this.armed = [];
  }

  /** how many armed faults are still waiting to happen */
  pending(): number {
    return this.armed.reduce((n, a) => n + a.left, 0);
  }

  /** the fault for this call, if one is armed for it (used up by the call) */
  take(operation: MemoryBusOperation, context: FaultContext): { error: Error; afterEffect: boolean } | undefined {
    const fault = this.armed.find(
      (a) =>
        a.operation === operation &&
        (a.topic === undefined || a.topic === context.topic) &&
        (a.groupId === undefined || a.groupId === context.groupId) &&
        (a.transactionalId === undefined || a.transactionalId === context.transactionalId),
    );
    if (!fault) return undefined;
    fault.left--;
    if (fault.left <= 0) this.armed = this.armed.filter((a) => a !== fault);
    const error =
      typeof fault.error === 'function'
        ? fault.error()
        : (fault.error ?? new MemoryBusFaultError(`fault on purpose: ${operation} failed (the broker is not there)`));
    return { error, afterEffect: fault.afterEffect ?? false };
  }
}
