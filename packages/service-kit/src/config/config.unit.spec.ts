import { describe, expect, it } from 'vitest';
import { commonSettings } from './common-settings.ts';
import { asBrokerList, asInteger, asOneOf, asUrl, ConfigError, describeSettings, loadConfig } from './config.ts';

describe('loadConfig', () => {
  const settings = {
    ...commonSettings,
    batchSize: { env: 'BATCH_SIZE', doc: 'records per batch', default: '100', parse: asInteger(1, 10_000) },
    secretFile: { env: 'SECRET_FILE', doc: 'path of the key file', parse: (raw: string) => raw },
  };

  it('applies defaults and parses every setting', () => {
    const config = loadConfig(settings, { SECRET_FILE: '/keys.json' });
    expect(config).toEqual({
      kafkaBrokers: ['127.0.0.1:9092'],
      schemaRegistryUrl: 'http://127.0.0.1:8080/apis/ccompat/v7',
      logLevel: 'info',
      kafkaClientId: 'register-feeds',
      kafkaSaslMechanism: 'none',
      kafkaSaslUsername: '',
      kafkaSaslPasswordFile: '',
      kafkaSslCaFile: '',
      topicMinInsyncReplicas: undefined, // auto: from the replication factor (topicSpec)
      kafkaSessionTimeoutMs: 10_000,
      edgeCommitIntervalMs: 100,
      edgeCommitMaxRecords: 10_000,
      edgePartitionsConcurrently: 1,
      batchSize: 100,
      secretFile: '/keys.json',
    });
  });

  it('names the missing required setting', () => {
    expect(() => loadConfig(settings, {})).toThrowError(new ConfigError('SECRET_FILE', 'SECRET_FILE is required: path of the key file'));
  });

  it('treats an empty variable as unset', () => {
    expect(() => loadConfig(settings, { SECRET_FILE: '  ' })).toThrow(/SECRET_FILE is required/);
  });

  it('names the bad setting, its value and what a good one looks like', () => {
    const attempt = () => loadConfig(settings, { SECRET_FILE: 'x', BATCH_SIZE: 'lots' });
    expect(attempt).toThrow('BATCH_SIZE="lots" is invalid: expected a whole number from 1 to 10000');
    expect(() => loadConfig(settings, { SECRET_FILE: 'x', KAFKA_BROKERS: 'localhost' })).toThrow(
      'KAFKA_BROKERS="localhost" is invalid: "localhost" is not host:port',
    );
    expect(() => loadConfig(settings, { SECRET_FILE: 'x', LOG_LEVEL: 'loud' })).toThrow(
      /LOG_LEVEL="loud" is invalid: expected one of fatal/,
    );
  });
});

describe('secrets', () => {
  const token = 'tok-3f9a8b7c6d5e4f3a2b1c';
  const settings = {
    apiToken: {
      env: 'API_TOKEN',
      doc: 'bearer token',
      secret: true,
      // a careless parser that quotes its input: the loader still keeps the value out of the message
      parse: (raw: string): string => {
        if (!raw.startsWith('tok-')) throw new Error(`"${raw}" does not start with tok-`);
        return raw;
      },
    },
  };

  it('names a bad secret setting but never shows its value, even when the parser quotes it', () => {
    const attempt = () => loadConfig(settings, { API_TOKEN: `x${token}` });
    expect(attempt).toThrowError(
      new ConfigError('API_TOKEN', 'API_TOKEN (secret, value not shown) is invalid: "[secret]" does not start with tok-'),
    );
  });

  it('reads a good secret as it is', () => {
    expect(loadConfig(settings, { API_TOKEN: token }).apiToken).toBe(token);
  });

  it('says a required secret is missing without anything else', () => {
    expect(() => loadConfig(settings, {})).toThrow('API_TOKEN is required: bearer token');
  });

  it('hides the user:password of a URL in a setting that is not secret', () => {
    expect(() => loadConfig(commonSettings, { SCHEMA_REGISTRY_URL: 'ftp://user:pa55w0rd@registry/x' })).toThrow(
      'SCHEMA_REGISTRY_URL="ftp://***@registry/x" is invalid: expected an http or https URL',
    );
  });

  it('marks secrets in the README table', () => {
    expect(describeSettings({ ...settings, plain: { env: 'PLAIN', doc: 'not secret', default: '', parse: String } })).toEqual([
      '| `API_TOKEN` | (required) | **secret**: bearer token |',
      '| `PLAIN` | (unset) | not secret |',
    ]);
  });
});

describe('parsers', () => {
  it('asBrokerList accepts host:port lists and rejects the rest', () => {
    expect(asBrokerList('a:1, b.example:9092,[::1]:9093')).toEqual(['a:1', 'b.example:9092', '[::1]:9093']);
    expect(() => asBrokerList('a:99999')).toThrow();
    expect(() => asBrokerList(',')).toThrow();
    expect(() => asBrokerList('http://a:1')).toThrow();
  });

  it('asUrl accepts http(s) and drops trailing slashes', () => {
    expect(asUrl('http://h:8080/apis/ccompat/v7/')).toBe('http://h:8080/apis/ccompat/v7');
    expect(() => asUrl('ftp://h')).toThrow();
    expect(() => asUrl('not a url')).toThrow();
  });

  it('asInteger and asOneOf bound their values', () => {
    expect(asInteger(1, 3)('3')).toBe(3);
    expect(() => asInteger(1, 3)('4')).toThrow();
    expect(() => asInteger(1, 3)('1.5')).toThrow();
    expect(asOneOf('a', 'b')('b')).toBe('b');
    expect(() => asOneOf('a', 'b')('c')).toThrow('expected one of a, b');
  });

  it('KAFKA_SESSION_TIMEOUT_MS stays within what the broker accepts (group.min/max.session.timeout.ms)', () => {
    expect(loadConfig(commonSettings, { KAFKA_SESSION_TIMEOUT_MS: '6000' }).kafkaSessionTimeoutMs).toBe(6_000);
    expect(() => loadConfig(commonSettings, { KAFKA_SESSION_TIMEOUT_MS: '5999' })).toThrow(ConfigError);
    expect(() => loadConfig(commonSettings, { KAFKA_SESSION_TIMEOUT_MS: '1800001' })).toThrow(ConfigError);
  });
});
