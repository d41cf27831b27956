import { createHash, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { rawPersonKey } from '@register-feeds/contracts';
import type { RegisterEvent } from '@register-feeds/register-model';
import { loadConfig } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { settings } from './config.ts';
import { normalise } from './normalise.ts';
import { createPartitionKey } from './partition-key.ts';
import { parsePartitionKey, readPartitionKeyFile } from './partition-secret.ts';
import { parseRegisterEvent } from './validate/index.ts';

const sampleLines = readFileSync(new URL('../fixtures/sample-events.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '');
const events: RegisterEvent[] = sampleLines.map((line) => {
  const result = parseRegisterEvent(line);
  if (!result.ok) throw new Error('sample does not parse');
  return normalise(result.event);
});

const SECRET = Buffer.alloc(32, 7); // a fixed test key, so the expected value below can be computed
const partitionKey = createPartitionKey(createSecretKey(SECRET));
const personOf = (event: RegisterEvent) => `${event.persoon.identificatie.soort}:${event.persoon.identificatie.nummer}`;

describe('partitionKey', () => {
  it('given an event, when keyed, then the key is the HMAC-SHA-256 hex of soort:nummer and does not show the number', () => {
    // given
    const event = events[0]!;
    // when
    const key = partitionKey(event);
    // then
    expect(key).toBe(createHmac('sha256', SECRET).update(personOf(event)).digest('hex'));
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain(event.persoon.identificatie.nummer);
  });

  it('given an event, when keyed, then the key is not the unkeyed sha256 that anyone can compute from a number', () => {
    for (const event of events) expect(partitionKey(event)).not.toBe(createHash('sha256').update(personOf(event)).digest('hex'));
  });

  it('given the same key file read twice (a restart), when keyed, then every person keeps their key', () => {
    const again = createPartitionKey(createSecretKey(Buffer.from(SECRET)));
    for (const event of events) expect(again(event)).toBe(partitionKey(event));
  });

  it('given another internal key, when keyed, then every person gets another key', () => {
    const other = createPartitionKey(createSecretKey(randomBytes(32)));
    for (const event of events) expect(other(event)).not.toBe(partitionKey(event));
  });

  it('given all events of one person, when keyed, then they share one key, and other persons get other keys', () => {
    const keysByPerson = new Map<string, Set<string>>();
    for (const event of events) {
      keysByPerson.set(personOf(event), (keysByPerson.get(personOf(event)) ?? new Set()).add(partitionKey(event)));
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

describe('the partition key file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-partition-key-'));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };

  it('given base64 of 32 random bytes with a newline, when read, then it is that key', () => {
    const key = readPartitionKeyFile(file('good', `${SECRET.toString('base64')}\n`));
    expect(key.export().equals(SECRET)).toBe(true);
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['not base64', 'not a key at all!'],
    ['empty', ''],
  ])('given a key file that is %s, when read, then it is refused without quoting it', (_, content) => {
    expect(() => parsePartitionKey(content)).toThrow(/32/);
    try {
      parsePartitionKey(content);
    } catch (error) {
      if (content !== '') expect((error as Error).message).not.toContain(content);
    }
  });

  it('given INGEST_PARTITION_KEY_FILE, when the config is loaded, then it holds a key that prints as nothing', () => {
    const path = file('config', SECRET.toString('base64'));
    const config = loadConfig(settings, { INGEST_PARTITION_KEY_FILE: path });
    expect(config.partitionKey.symmetricKeySize).toBe(32);
    expect(JSON.stringify(config)).not.toContain(SECRET.toString('base64'));
    expect(inspect(config)).not.toContain(SECRET.toString('base64'));
    expect(inspect(config)).not.toContain(SECRET.toString('hex'));
  });

  it('given no INGEST_PARTITION_KEY_FILE or a missing file, when the config is loaded, then it names the setting and how to make one', () => {
    expect(() => loadConfig(settings, {})).toThrow(/^INGEST_PARTITION_KEY_FILE is required/);
    expect(() => loadConfig(settings, { INGEST_PARTITION_KEY_FILE: join(dir, 'missing') })).toThrow(
      /INGEST_PARTITION_KEY_FILE.*invalid: cannot read it \(ENOENT\); make it once with \(umask 077; node -e .*randomBytes\(32\)/,
    );
  });
});

describe('rawPersonKey (@register-feeds/contracts) beside the partition key', () => {
  it('given raw lines, when keyed before validation, then one person has one key, and it is not ingest’s partition key', () => {
    const keys = sampleLines.map((line) => rawPersonKey(line));
    events.forEach((event, i) => {
      expect(keys[i]).toBe(createHash('sha256').update(personOf(event)).digest('hex'));
      expect(keys[i]).not.toBe(partitionKey(event));
    });
  });
});
