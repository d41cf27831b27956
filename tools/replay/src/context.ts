/** What every command gets from the CLI (or a test): the stack, where to report, and how. */

import type { MessageBus, SchemaRegistryClient, TopicClass } from '@register-feeds/service-kit';

export interface ReplayContext {
  bus: MessageBus;
  registry: SchemaRegistryClient;
  brokers: string[];
  /** progress and summary lines */
  stderr: (text: string) => void;
  /** tables (reset-group) */
  stdout: (text: string) => void;
  /** redraw progress in place (a terminal) or print a line every 10 s (a log) */
  tty: boolean;
  /** a topic's class; the catalogue's topicClass unless a test stands in another */
  classOf?: (topic: string) => TopicClass | 'unknown';
}

export class UsageError extends Error {
  override name = 'UsageError';
  readonly isTrusted = true;
  readonly retriable = false;
}

/** An ISO 8601 timestamp as epoch milliseconds; a usage error otherwise. */
export function parseTimestamp(option: string, raw: string): number {
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(ms))
    throw new UsageError(`--${option} must be an ISO timestamp, e.g. 2025-09-01T00:00:00Z`);
  return ms;
}

/** Where a record sits, for messages: never its content. */
export const position = (topic: string, partition: number, offset: string): string => `${topic} partition ${partition} offset ${offset}`;
