import type { ConsumedMessage, DeadLetterSource } from '@register-feeds/service-kit';
import { normalise, type RegisterEvent } from './normalise.ts';
import type { PartitionKey } from './partition-key.ts';
import { parseRegisterEvent, type Reason } from './validate/index.ts';

/** Where a raw record came from; travels with every decision so a dead letter can point back at it. */
export type Source = DeadLetterSource;

export type Decision =
  | { kind: 'publish'; event: RegisterEvent; key: string; source: Source }
  | { kind: 'dead-letter'; reasons: Reason[]; source: Source }
  | { kind: 'duplicate'; eventId: string; source: Source };

/**
 * The whole of ingest's judgement over one batch, pure: each raw record is published (valid, first time
 * its event id is seen), dead-lettered (with every reason), or dropped as a repeat. Repeats within the
 * batch count too. Encoding and producing happen at the edge (pipeline.ts). The partition key comes in
 * with its internal key, so this stays pure.
 */
export function decideBatch(
  messages: ConsumedMessage[],
  seen: { has(eventId: string): boolean },
  options: { maxBytes: number; partitionKey: PartitionKey },
): Decision[] {
  const seenInBatch = new Set<string>();
  return messages.map((message): Decision => {
    const source: Source = {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      timestamp: message.timestamp,
      key: message.key,
      value: message.value,
    };
    if (message.value === null) {
      return { kind: 'dead-letter', reasons: [{ field: '', rule: 'not-empty', message: 'the record has no value (tombstone)' }], source };
    }
    const parsed = parseRegisterEvent(message.value, { maxBytes: options.maxBytes });
    if (!parsed.ok) return { kind: 'dead-letter', reasons: parsed.reasons, source };
    const eventId = parsed.event.eventId;
    if (seen.has(eventId) || seenInBatch.has(eventId)) return { kind: 'duplicate', eventId, source };
    seenInBatch.add(eventId);
    const event = normalise(parsed.event);
    return { kind: 'publish', event, key: options.partitionKey(event), source };
  });
}

export const sourceRef = (source: Pick<Source, 'topic' | 'partition' | 'offset'>): string =>
  `${source.topic}/${source.partition}/${source.offset}`;
