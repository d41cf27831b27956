import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RegisterEvent } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import { normalise } from './normalise.ts';
import { partitionKey, rawPersonKey } from './partition-key.ts';
import { parseRegisterEvent } from './validate/index.ts';

const events: RegisterEvent[] = readFileSync(new URL('../fixtures/sample-events.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const result = parseRegisterEvent(line);
    if (!result.ok) throw new Error('sample does not parse');
    return normalise(result.event);
  });

describe('partitionKey', () => {
  it('given an event, when keyed, then the key is sha256 hex of soort:nummer and does not show the number', () => {
    // given
    const event = events[0]!;
    const { soort, nummer } = event.persoon.identificatie;
    // when
    const key = partitionKey(event);
    // then
    expect(key).toBe(createHash('sha256').update(`${soort}:${nummer}`).digest('hex'));
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain(nummer);
  });

  it('given all events of one person, when keyed, then they share one key, and other persons get other keys', () => {
    const keysByPerson = new Map<string, Set<string>>();
    for (const event of events) {
      const person = `${event.persoon.identificatie.soort}:${event.persoon.identificatie.nummer}`;
      keysByPerson.set(person, (keysByPerson.get(person) ?? new Set()).add(partitionKey(event)));
    }
    expect([...keysByPerson.values()].every((keys) => keys.size === 1)).toBe(true);
    const distinct = new Set([...keysByPerson.values()].flatMap((keys) => [...keys]));
    expect(distinct.size).toBe(keysByPerson.size);
  });

  it('given the same digits as BSN and as onderwijsnummer, when keyed, then the keys differ', () => {
    const event = events[0]!;
    const asOnderwijsnummer: RegisterEvent = {
      ...event,
      persoon: { ...event.persoon, identificatie: { soort: 'ONDERWIJSNUMMER', nummer: event.persoon.identificatie.nummer } },
    };
    expect(partitionKey(asOnderwijsnummer)).not.toBe(partitionKey(event));
  });
});

describe('rawPersonKey', () => {
  it('given a raw line, when keyed before validation, then it matches the canonical key of the same person', () => {
    const line = readFileSync(new URL('../fixtures/sample-events.jsonl', import.meta.url), 'utf8').split('\n')[0]!;
    expect(rawPersonKey(line)).toBe(partitionKey(events[0]!));
  });

  it('given a line without a person number, then there is no key', () => {
    expect(rawPersonKey('not json')).toBeNull();
    expect(rawPersonKey('null')).toBeNull();
    expect(rawPersonKey('{"persoon":{"bsn":123}}')).toBeNull();
  });
});
