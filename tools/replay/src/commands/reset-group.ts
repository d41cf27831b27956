/**
 * reset-group: moves a consumer group's committed offsets on one topic to the earliest records or to the
 * first records at/after a point in time. Shows per partition the committed offset and the new one; with
 * --dry-run that is all. Kafka only lets a group's offsets be set while it has no members.
 */

import type { ReplayContext } from '../context.ts';
import { createReplayAdmin } from '../kafka-admin.ts';

export interface ResetGroupOptions {
  group: string;
  topic: string;
  toEarliest?: boolean;
  /** epoch milliseconds */
  toTimestamp?: number;
  dryRun?: boolean;
}

export interface OffsetChange {
  partition: number;
  /** "-1" when the group has committed nothing there */
  current: string;
  next: string;
}

export interface ResetGroupResult {
  changes: OffsetChange[];
  applied: boolean;
  activeMembers: number;
}

export class GroupActiveError extends Error {
  override name = 'GroupActiveError';
  readonly isTrusted = true;
  readonly retriable = true;
  constructor(group: string, members: number, state: string) {
    super(
      `group ${group} has ${members} active member(s) (state ${state}): stop its consumers first, then run reset-group again. Nothing was changed.`,
    );
  }
}

export function formatChanges(topic: string, changes: OffsetChange[]): string {
  const rows = changes.map((c) => `${topic}\t${c.partition}\t${c.current === '-1' ? '(none)' : c.current}\t${c.next}`);
  return ['topic\tpartition\tcommitted\tnew', ...rows].join('\n');
}

export async function resetGroup(ctx: ReplayContext, options: ResetGroupOptions): Promise<ResetGroupResult> {
  const admin = await ctx.bus.admin();
  const kafkaAdmin = await createReplayAdmin(ctx.brokers);
  try {
    const [ends, committed, state] = await Promise.all([
      admin.topicOffsets(options.topic),
      admin.groupOffsets(options.group, options.topic),
      kafkaAdmin.groupState(options.group),
    ]);
    const targets =
      options.toTimestamp !== undefined
        ? await kafkaAdmin.offsetsAtTimestamp(options.topic, options.toTimestamp)
        : new Map(ends.map((e) => [e.partition, BigInt(e.low)]));
    const changes = ends.map((e) => ({
      partition: e.partition,
      current: committed.find((c) => c.partition === e.partition)?.offset ?? '-1',
      next: String(targets.get(e.partition) ?? BigInt(e.low)),
    }));
    ctx.stdout(`${formatChanges(options.topic, changes)}\n`);
    if (options.dryRun) {
      if (state.members > 0)
        ctx.stderr(`reset-group: note: group ${options.group} has ${state.members} active member(s); applying would be refused\n`);
      ctx.stderr(`reset-group: dry run, nothing changed\n`);
      return { changes, applied: false, activeMembers: state.members };
    }
    if (state.members > 0) throw new GroupActiveError(options.group, state.members, state.state);
    await kafkaAdmin.setGroupOffsets(
      options.group,
      options.topic,
      changes.map((c) => ({ partition: c.partition, offset: c.next })),
    );
    ctx.stderr(`reset-group: ${options.group} on ${options.topic} set on ${changes.length} partition(s)\n`);
    return { changes, applied: true, activeMembers: 0 };
  } finally {
    await kafkaAdmin.disconnect();
    await admin.disconnect();
  }
}
