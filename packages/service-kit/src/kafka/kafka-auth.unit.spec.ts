import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { commonSettings } from '../config/common-settings.ts';
import { ConfigError, loadConfig } from '../config/config.ts';
import { kafkaAuthFromSettings, kafkaAuthOrExit } from './kafka-auth.ts';

const dir = mkdtempSync(join(tmpdir(), 'kafka-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = 'a3f1c9e07d52b8a4e61f0c3d9b7a2e58';

function passwordFile(name: string, content: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode });
  chmodSync(path, mode); // the umask may have taken bits away
  return path;
}

const settings = (env: Record<string, string>) => loadConfig(commonSettings, env);
const failure = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('kafkaAuthFromSettings', () => {
  it('is none by default', () => {
    expect(kafkaAuthFromSettings(settings({}))).toBeUndefined();
  });

  it('reads the password from a 0600 file, drops one trailing newline, and never shows it', () => {
    const auth = kafkaAuthFromSettings(
      settings({
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'ingest',
        KAFKA_SASL_PASSWORD_FILE: passwordFile('ok', `${SECRET}\n`),
      }),
    );
    expect(auth).toMatchObject({ mechanism: 'scram-sha-512', username: 'ingest' });
    expect(auth?.password).toBe(SECRET);
    // a logged or serialised auth (or a config object holding it) has no password in it
    expect(JSON.stringify(auth)).not.toContain(SECRET);
    expect(JSON.stringify({ auth })).not.toContain(SECRET);
    expect(Object.keys(auth ?? {})).not.toContain('password');
  });

  it('refuses a password file others can read, naming the setting and never the password', () => {
    const error = failure(() =>
      kafkaAuthFromSettings(
        settings({
          KAFKA_SASL_MECHANISM: 'scram-sha-512',
          KAFKA_SASL_USERNAME: 'ingest',
          KAFKA_SASL_PASSWORD_FILE: passwordFile('open', SECRET, 0o644),
        }),
      ),
    );
    expect(error.env).toBe('KAFKA_SASL_PASSWORD_FILE');
    expect(error.message).toMatch(/mode 644.*0600/);
    expect(error.message).not.toContain(SECRET);
  });

  it('refuses a missing user, a missing or unreadable file, and a file that is not one line', () => {
    const scram = { KAFKA_SASL_MECHANISM: 'scram-sha-512' };
    expect(failure(() => kafkaAuthFromSettings(settings({ ...scram, KAFKA_SASL_PASSWORD_FILE: passwordFile('a', SECRET) }))).env).toBe(
      'KAFKA_SASL_USERNAME',
    );
    expect(failure(() => kafkaAuthFromSettings(settings({ ...scram, KAFKA_SASL_USERNAME: 'x' }))).env).toBe('KAFKA_SASL_PASSWORD_FILE');
    expect(
      failure(() => kafkaAuthFromSettings(settings({ ...scram, KAFKA_SASL_USERNAME: 'x', KAFKA_SASL_PASSWORD_FILE: join(dir, 'missing') })))
        .message,
    ).toContain('ENOENT');
    for (const content of ['', '\n', `${SECRET}\nsecond line`]) {
      const error = failure(() =>
        kafkaAuthFromSettings(settings({ ...scram, KAFKA_SASL_USERNAME: 'x', KAFKA_SASL_PASSWORD_FILE: passwordFile('bad', content) })),
      );
      expect(error.message).toContain('expected one line');
      expect(error.message).not.toContain(SECRET);
    }
  });

  it('knows only none and scram-sha-512', () => {
    expect(() => settings({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/KAFKA_SASL_MECHANISM.*expected one of none, scram-sha-512/);
  });
});

describe('KAFKA_SSL_CA_FILE', () => {
  const scram = () => ({
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'ingest',
    KAFKA_SASL_PASSWORD_FILE: passwordFile('tls-password', SECRET),
  });
  /** a CA certificate made now with openssl, as the secured stack makes its own */
  const certificate = (name: string): string => {
    const path = join(dir, `${name}.pem`);
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`)],
        ...['-out', path, '-days', '1', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE'],
      ],
      { stdio: 'ignore' },
    );
    return path;
  };
  /** a certificate of 1 January 2000, a day long: `openssl ca` is what sets dates in the past on OpenSSL 3.0 */
  const expiredCertificate = (): string => {
    const ca = mkdtempSync(join(dir, 'expired-'));
    writeFileSync(join(ca, 'index.txt'), '');
    writeFileSync(
      join(ca, 'ca.cnf'),
      '[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nrand_serial = yes\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n',
    );
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: ca, stdio: 'ignore' });
    run([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'key',
      '-out',
      'csr',
      '-subj',
      '/CN=expired',
    ]);
    run([
      ...['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'key', '-in', 'csr', '-out', 'expired.pem', '-notext'],
      ...['-startdate', '20000101000000Z', '-enddate', '20000102000000Z'],
    ]);
    return join(ca, 'expired.pem');
  };

  it('is no TLS by default, and TLS verified against the file’s certificate when set', () => {
    expect(kafkaAuthFromSettings(settings(scram()))?.tls).toBeUndefined();
    const ca = certificate('ca');
    const auth = kafkaAuthFromSettings(settings({ ...scram(), KAFKA_SSL_CA_FILE: ca }));
    expect(auth?.tls).toEqual({ ca: readFileSync(ca, 'utf8') });
    expect(auth?.username).toBe('ingest');
  });

  it('refuses a missing file, a file that is no PEM certificate, and a certificate out of date, naming the setting', () => {
    const fails = (file: string) => failure(() => kafkaAuthFromSettings(settings({ ...scram(), KAFKA_SSL_CA_FILE: file })));
    const missing = fails(join(dir, 'no-such-ca.pem'));
    expect(missing.env).toBe('KAFKA_SSL_CA_FILE');
    expect(missing.message).toMatch(/^KAFKA_SSL_CA_FILE ".*no-such-ca.pem" cannot be read \(ENOENT\)$/);
    expect(fails(dir).message).toContain('cannot be read (EISDIR)');
    // a private key is PEM but no certificate; garbage between the markers is no certificate either
    for (const content of [
      'not a certificate',
      readFileSync(join(dir, 'ca.key'), 'utf8'),
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
    ]) {
      const error = fails(passwordFile('not-a-ca.pem', content, 0o644));
      expect(error.env).toBe('KAFKA_SSL_CA_FILE');
      expect(error.message).toContain('expected a CA certificate in PEM');
    }
    expect(fails(expiredCertificate()).message).toMatch(
      /KAFKA_SSL_CA_FILE ".*expired.pem": the certificate is valid from .* 2000 .* not now/,
    );
  });

  it('needs SASL: a CA without KAFKA_SASL_MECHANISM is refused, not ignored', () => {
    const error = failure(() => kafkaAuthFromSettings(settings({ KAFKA_SSL_CA_FILE: certificate('alone') })));
    expect(error.env).toBe('KAFKA_SSL_CA_FILE');
    expect(error.message).toContain('needs KAFKA_SASL_MECHANISM');
  });
});

describe('kafkaAuthOrExit', () => {
  it('ends the process with exit code 78 and one line naming the setting, never the password', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => {
      throw new Error('exit');
    }) as never);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const open = passwordFile('open-2', SECRET, 0o640);
      expect(() =>
        kafkaAuthOrExit(
          'ingest',
          settings({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'x', KAFKA_SASL_PASSWORD_FILE: open }),
        ),
      ).toThrow('exit');
      expect(exit).toHaveBeenCalledWith(78);
      const line = String(stderr.mock.calls[0]?.[0]);
      expect(line).toMatch(/^ingest: configuration error: KAFKA_SASL_PASSWORD_FILE .* can be read by others/);
      expect(line).not.toContain(SECRET);
    } finally {
      exit.mockRestore();
      stderr.mockRestore();
    }
  });
});

describe('TOPIC_MIN_INSYNC_REPLICAS', () => {
  it('is auto (undefined: topicSpec derives it) unless a number is given', () => {
    expect(settings({}).topicMinInsyncReplicas).toBeUndefined();
    expect(settings({ TOPIC_MIN_INSYNC_REPLICAS: '2' }).topicMinInsyncReplicas).toBe(2);
    expect(() => settings({ TOPIC_MIN_INSYNC_REPLICAS: '0' })).toThrow(/TOPIC_MIN_INSYNC_REPLICAS/);
  });
});
