import type { Admin } from '@register-feeds/service-kit';

export class TargetTopicError extends Error {
  override name = 'TargetTopicError';
  readonly isTrusted = true;
  readonly retriable = false;
}

/**
 * Makes sure the target has at least `partitions` partitions, creating it when missing, so every record
 * can go to the partition number it came from.
 */
export async function ensureTargetTopic(admin: Admin, topic: string, partitions: number): Promise<{ created: boolean }> {
  const { created } = await admin.ensureTopics([{ name: topic, partitions: Math.max(1, partitions), replicationFactor: 1 }]);
  if (created.length > 0) return { created: true };
  const existing = (await admin.topicOffsets(topic)).length;
  if (existing < partitions) {
    throw new TargetTopicError(
      `topic ${topic} has ${existing} partitions, the records need ${partitions}: add partitions (kafka-topics --alter) or pick another topic`,
    );
  }
  return { created: false };
}
