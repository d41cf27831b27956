import { describe, expect, it } from 'vitest';
import { holdsPersonData, TOPIC_CLASSES, type TopicEntry, topicClass, topics } from './catalogue.ts';

const entries: TopicEntry[] = Object.values(topics);

describe('topic classes', () => {
  it('given every catalogue entry, then it has a known class and topicClass finds it by name', () => {
    for (const entry of entries) {
      expect(Object.keys(TOPIC_CLASSES)).toContain(entry.class);
      expect(topicClass(entry.name)).toBe(entry.class);
    }
  });

  it('classes each topic by what it holds', () => {
    expect(topicClass('register.raw.v1')).toBe('raw');
    expect(topicClass('register.events.v1')).toBe('canonical');
    expect(topicClass('register.raw.dlq.v1')).toBe('dead-letter');
    expect(topicClass('register.events.dlq.v1')).toBe('dead-letter');
    expect(topicClass('register.deliver.dlq.v1')).toBe('dead-letter');
    expect(topicClass('register.ingest.seen.v1')).toBe('internal');
    expect(topicClass('audit.deliveries.v2')).toBe('audit');
    expect(topicClass('feed.sbb-stagemarkt.v1')).toBe('feed');
    expect(topicClass('feed.svb-kostendelersnorm.v1')).toBe('feed');
    expect(topicClass('feed.ggd-jeugdgezondheid.v1')).toBe('feed');
  });

  it('given a topic whose value is a dead letter, then its class says so (its original bytes hold person data)', () => {
    for (const entry of entries.filter((e) => e.value.includes('DeadLetter'))) expect(entry.class).toBe('dead-letter');
  });

  it('given a recipient topic, which comes from an agreement and not from the catalogue, then it is a recipient topic', () => {
    expect(topicClass('recipient.sbb-stagemarkt.v2')).toBe('recipient');
    expect(topicClass('recipient.ggd-jeugdgezondheid.v1')).toBe('recipient');
    expect(topicClass('recipient.')).toBe('unknown');
  });

  it("given a per-delivery snapshot topic, then it holds a recipient's records too", () => {
    expect(topicClass('snapshot.ocw-minister.2026-10-01.2026-11-15')).toBe('recipient');
    expect(topicClass('snapshot.')).toBe('unknown');
    expect(topicClass('audit.snapshot-deliveries.v1')).toBe('audit');
  });

  it('given any other name, then the class is unknown, and unknown holds person data', () => {
    for (const name of ['dev.raw.v1', 'register.raw.v1.copy', 'audit.deliveries.v1', 'Register.raw.v1', '']) {
      expect(topicClass(name)).toBe('unknown');
    }
    expect(holdsPersonData('unknown')).toBe(true);
  });

  it('says which classes hold person data: all but audit and internal', () => {
    const holding = Object.keys(TOPIC_CLASSES).filter((c) => holdsPersonData(c as keyof typeof TOPIC_CLASSES));
    expect(holding.sort()).toEqual(['canonical', 'dead-letter', 'feed', 'raw', 'recipient']);
  });

  it('names the audit topic v2 (one entry per event; v1 had one per delivered record)', () => {
    expect(topics.audit.name).toBe('audit.deliveries.v2');
  });
});
