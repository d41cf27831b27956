import { topicClass } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { PersonDataRefused } from './person-data.ts';
import { handlingOf } from './topic-policy.ts';

const handling = (topic: string, flags: { allowPersonalData?: boolean; rekey?: boolean } = {}) =>
  handlingOf(topic, topicClass(topic), flags);

describe('handlingOf', () => {
  it('given a topic whose class holds person data, then it is refused without a flag, whatever its records look like', () => {
    for (const topic of [
      'register.raw.v1',
      'register.events.v1',
      'register.raw.dlq.v1',
      'register.events.dlq.v1',
      'register.deliver.dlq.v1',
      'recipient.sbb-stagemarkt.v2',
      'feed.svb-kostendelersnorm.v1',
    ]) {
      expect(() => handling(topic)).toThrow(PersonDataRefused);
    }
    expect(() => handling('register.raw.dlq.v1')).toThrow(
      /refused: topic register\.raw\.dlq\.v1 is a dead-letter topic, which holds person data .*Nothing was read or written.*--rekey.*--allow-personal-data/,
    );
  });

  it('given a topic the catalogue does not know, then it is treated as holding person data', () => {
    expect(() => handling('dev.raw.v1')).toThrow(
      /topic dev\.raw\.v1 is not in the topic catalogue, so it is treated as holding person data/,
    );
    expect(handling('dev.raw.v1', { rekey: true })).toBe('rekey');
    expect(handling('dev.raw.v1', { allowPersonalData: true })).toBe('as-is');
  });

  it('given audit or internal topics, then they are copied after a content check', () => {
    expect(handling('audit.deliveries.v2')).toBe('check');
    expect(handling('register.ingest.seen.v1')).toBe('check');
  });

  it('given --rekey, then rekeying wins over --allow-personal-data', () => {
    expect(handling('register.raw.v1', { rekey: true, allowPersonalData: true })).toBe('rekey');
  });
});
