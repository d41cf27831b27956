import { loadConfig } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { settings } from './config.ts';
import { loadAgreements } from './load-agreements.ts';
import { asTopicPrefix, underTopicPrefix } from './recipient-topics.ts';

const reviewed = loadAgreements(new URL('../../../agreements', import.meta.url).pathname);

describe('RECIPIENT_TOPIC_PREFIX', () => {
  it('is empty by default: every recipient topic is its agreement’s, the same objects', () => {
    const prefix = loadConfig(settings, { PSEUDONYM_KEYS_FILE: '/unused' }).recipientTopicPrefix;
    expect(prefix).toBe('');
    expect(underTopicPrefix(reviewed, prefix)).toEqual(reviewed);
  });

  it('puts the prefix before every output topic and changes nothing else, nor the reviewed agreements', () => {
    const before = structuredClone(reviewed);
    const prefixed = underTopicPrefix(reviewed, 'test-abc.');
    expect(prefixed.map((a) => a.output.topic)).toEqual(
      reviewed.map((a) => `test-abc.recipient.${a.recipient}.v${/\.v(\d+)$/.exec(a.output.topic)?.[1]}`),
    );
    expect(prefixed.map(({ output, ...rest }) => rest)).toEqual(reviewed.map(({ output, ...rest }) => rest));
    expect(reviewed).toEqual(before);
  });

  it('takes only Kafka topic-name characters, and says so by the setting’s name', () => {
    expect(asTopicPrefix('e2e-mwx118kw_09c1ba.')).toBe('e2e-mwx118kw_09c1ba.');
    for (const bad of ['a b', 'x/', 'ü.', 'a:b']) expect(() => asTopicPrefix(bad)).toThrow(/topic-name prefix/);
    expect(() => loadConfig(settings, { PSEUDONYM_KEYS_FILE: '/unused', RECIPIENT_TOPIC_PREFIX: 'a b' })).toThrow(
      'RECIPIENT_TOPIC_PREFIX="a b" is invalid: expected a topic-name prefix: letters, digits, ".", "_" and "-" only',
    );
  });
});
