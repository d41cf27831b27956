/** What every command gets from the CLI (or a test): the stack, where to report, and how. */

import type { MessageBus, ProgressOptions, SchemaRegistryClient, TopicClass } from '@register-feeds/service-kit';

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
  /** no progress and no summary (--quiet) */
  quiet?: boolean;
  /** a topic's class; the catalogue's topicClass unless a test stands in another */
  classOf?: (topic: string) => TopicClass | 'unknown';
}

export class UsageError extends Error {
  override name = 'UsageError';
  readonly isTrusted = true;
  readonly retriable = false;
}

/** The progress module's options for a command's run: where to, and whether at all. */
export function progressOf(ctx: ReplayContext, label: string, total: number): ProgressOptions {
  return { label, total, stream: { write: ctx.stderr, isTTY: ctx.tty }, quiet: ctx.quiet === true };
}

/** Where a record sits, for messages: never its content. */
export const position = (topic: string, partition: number, offset: string): string => `${topic} partition ${partition} offset ${offset}`;
