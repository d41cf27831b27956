/**
 * Whether a command may copy a topic as it is, must rekey it, or must refuse: decided by the topic's class
 * in the catalogue (packages/service-kit/src/topics/catalogue.ts), never by what a sample of its records
 * seems to hold. A topic the catalogue does not know (a copy under another name, a recipient topic of an
 * agreement not seen here) is treated as holding person data. Pure.
 */

import { holdsPersonData, TOPIC_CLASSES, type TopicClass } from '@register-feeds/service-kit';
import { PersonDataRefused } from './person-data.ts';

export type TopicClassOf = (topic: string) => TopicClass | 'unknown';

/**
 *  - rekey: every record rekeyed, the output scanned for what the source held (--rekey);
 *  - as-is: copied byte for byte (--allow-personal-data);
 *  - check: a class without person data, copied as it is after a content check of every record (a safety
 *    net against a writer that put person data where the catalogue says there is none).
 */
export type Handling = 'rekey' | 'as-is' | 'check';

export function handlingOf(
  topic: string,
  cls: TopicClass | 'unknown',
  { allowPersonalData = false, rekey = false }: { allowPersonalData?: boolean | undefined; rekey?: boolean | undefined },
): Handling {
  if (rekey) return 'rekey';
  if (allowPersonalData) return 'as-is';
  if (holdsPersonData(cls)) throw topicRefused(topic, cls);
  return 'check';
}

export function topicRefused(topic: string, cls: TopicClass | 'unknown'): PersonDataRefused {
  const why =
    cls === 'unknown'
      ? 'is not in the topic catalogue, so it is treated as holding person data'
      : `is a ${cls} topic, which holds person data (${TOPIC_CLASSES[cls].holds})`;
  return new PersonDataRefused(
    `refused: topic ${topic} ${why}. Nothing was read or written. ` +
      'Pass --rekey to replace persons with throwaway pseudonyms, or --allow-personal-data if this copy is allowed to hold them.',
  );
}
