import type { TopicPartition } from './bus.ts';
import type { ChangeSignal, TopicStore } from './memory-bus-log.ts';

/**
 * The twin's consumer groups: members, a generation per membership change, a round-robin assignment (as
 * kafkajs's default assigner), and the committed offsets. Rebalancing is eager, as in kafkajs: a member
 * in the middle of a batch finishes it before it takes up the new assignment, and nobody fetches in a new
 * generation before every member has taken it up (the broker's JoinGroup barrier). Taking up an
 * assignment resets every position to the committed offset, as kafkajs does after a rejoin.
 */

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export interface GroupMember {
  readonly memberId: string;
  readonly topics: string[];
  /** the generation whose assignment this member has taken up (-1: none yet) */
  generation: number;
  assignment: TopicPartition[];
  /** false once it left the group: stopped, crashed, or evicted (as by a session timeout) */
  inGroup: boolean;
}

export class MemoryGroup {
  generation = 0;
  private members: GroupMember[] = [];
  private plan = new Map<string, TopicPartition[]>();
  private readonly committed = new Map<string, bigint>();
  private nextMember = 0;

  readonly groupId: string;
  private readonly topics: TopicStore;
  private readonly signal: ChangeSignal;

  constructor(groupId: string, topics: TopicStore, signal: ChangeSignal) {
    this.groupId = groupId;
    this.topics = topics;
    this.signal = signal;
  }

  join(topics: string[]): GroupMember {
    const member: GroupMember = {
      memberId: `${this.groupId}-member-${String(this.nextMember++).padStart(4, '0')}`,
      topics,
      generation: -1,
      assignment: [],
      inGroup: true,
    };
    this.members.push(member);
    this.rebalance();
    return member;
  }

  leave(member: GroupMember): void {
    if (!member.inGroup) return;
    member.inGroup = false;
    member.assignment = [];
    this.members = this.members.filter((m) => m !== member);
    this.rebalance();
  }

  memberIds(): string[] {
    return this.members.map((m) => m.memberId);
  }

  /** every member has taken up the current generation: fetching may go on */
  settled(): boolean {
    return this.members.every((m) => m.generation === this.generation);
  }

  /** the member's share of the current generation; undefined when it already has it */
  takeUp(member: GroupMember): TopicPartition[] | undefined {
    if (!member.inGroup || member.generation === this.generation) return undefined;
    member.generation = this.generation;
    member.assignment = this.plan.get(member.memberId) ?? [];
    this.signal.notify();
    return member.assignment;
  }

  committedOffset(topic: string, partition: number): bigint | undefined {
    return this.committed.get(partitionKey(topic, partition));
  }

  commit(topic: string, partition: number, offset: bigint): void {
    this.committed.set(partitionKey(topic, partition), offset);
    this.signal.notify();
  }

  forgetTopic(topic: string): void {
    for (const key of [...this.committed.keys()]) if (key.startsWith(`${topic}\u0000`)) this.committed.delete(key);
  }

  private rebalance(): void {
    this.generation++;
    // round robin over members sorted by id, partitions by topic then number (kafkajs's RoundRobinAssigner)
    const members = [...this.members].sort((a, b) => a.memberId.localeCompare(b.memberId));
    const plan = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]));
    const topics = [...new Set(members.flatMap((m) => m.topics))].filter((t) => this.topics.has(t)).sort();
    let next = 0;
    for (const topic of topics) {
      const takers = members.filter((m) => m.topics.includes(topic));
      for (let partition = 0; partition < this.topics.topic(topic).logs.length; partition++) {
        const member = takers[next++ % takers.length];
        if (member) plan.get(member.memberId)?.push({ topic, partition });
      }
    }
    this.plan = plan;
    this.signal.notify();
  }
}
