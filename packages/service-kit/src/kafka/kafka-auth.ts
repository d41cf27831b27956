import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../config/config.ts';

/**
 * How a service proves who it is to Kafka: SASL/SCRAM-SHA-512 with one principal per service, whose
 * password is read from a file (KAFKA_SASL_PASSWORD_FILE), never from the environment or argv, where
 * process listings, crash dumps and CI logs would show it.
 */
export interface KafkaAuth {
  mechanism: 'scram-sha-512';
  username: string;
  /** not enumerable: a logged or serialised KafkaAuth shows no password */
  readonly password: string;
  /** TLS to the brokers, verified against this CA certificate (PEM); absent: SASL over plaintext */
  tls?: { ca: string };
}

export interface KafkaAuthSettings {
  kafkaSaslMechanism: 'none' | 'scram-sha-512';
  kafkaSaslUsername: string;
  kafkaSaslPasswordFile: string;
  /** the CA certificate (PEM) to verify the brokers against; '' for no TLS */
  kafkaSslCaFile: string;
}

/**
 * The auth the settings ask for, or undefined for none. Throws a ConfigError naming the variable (never the
 * password) when a setting is missing, the file cannot be read, is empty, or can be read by others than its
 * owner (a password file must be 0600 or stricter), or when KAFKA_SSL_CA_FILE is not a readable PEM certificate.
 */
export function kafkaAuthFromSettings(settings: KafkaAuthSettings): KafkaAuth | undefined {
  if (settings.kafkaSaslMechanism === 'none') {
    // TLS without SASL is a listener no stack of this project has; ignoring the CA would send the data in the
    // clear to a broker the operator meant to be verified
    if (settings.kafkaSslCaFile !== '')
      throw new ConfigError('KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CA_FILE needs KAFKA_SASL_MECHANISM (TLS is SASL_SSL: SCRAM over TLS)');
    return undefined;
  }
  const username = settings.kafkaSaslUsername;
  const file = settings.kafkaSaslPasswordFile;
  if (username === '')
    throw new ConfigError('KAFKA_SASL_USERNAME', 'KAFKA_SASL_USERNAME is required when KAFKA_SASL_MECHANISM is not none');
  if (file === '')
    throw new ConfigError('KAFKA_SASL_PASSWORD_FILE', 'KAFKA_SASL_PASSWORD_FILE is required when KAFKA_SASL_MECHANISM is not none');
  let mode: number;
  let content: string;
  try {
    mode = statSync(file).mode;
    content = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError('KAFKA_SASL_PASSWORD_FILE', `KAFKA_SASL_PASSWORD_FILE ${JSON.stringify(file)} cannot be read (${code})`);
  }
  if ((mode & 0o077) !== 0)
    throw new ConfigError(
      'KAFKA_SASL_PASSWORD_FILE',
      `KAFKA_SASL_PASSWORD_FILE ${JSON.stringify(file)} can be read by others (mode ${(mode & 0o777).toString(8)}); make it 0600`,
    );
  // one line; a trailing newline from an editor or `echo` is not part of the password
  const password = content.replace(/\r?\n$/, '');
  if (password === '' || /[\r\n]/.test(password))
    throw new ConfigError('KAFKA_SASL_PASSWORD_FILE', `KAFKA_SASL_PASSWORD_FILE ${JSON.stringify(file)}: expected one line, the password`);
  const auth = { mechanism: settings.kafkaSaslMechanism, username } as KafkaAuth;
  Object.defineProperty(auth, 'password', { value: password, enumerable: false });
  if (settings.kafkaSslCaFile !== '') auth.tls = { ca: caCertificate(settings.kafkaSslCaFile) };
  return auth;
}

/**
 * The PEM text of KAFKA_SSL_CA_FILE, checked once at start: a file that is missing, unreadable, not a PEM
 * certificate or out of date ends the start with a line naming the setting, not with a handshake error
 * on every connection later.
 */
function caCertificate(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError('KAFKA_SSL_CA_FILE', `KAFKA_SSL_CA_FILE ${JSON.stringify(file)} cannot be read (${code})`);
  }
  let certificate: X509Certificate;
  try {
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate');
    certificate = new X509Certificate(pem);
  } catch {
    throw new ConfigError(
      'KAFKA_SSL_CA_FILE',
      `KAFKA_SSL_CA_FILE ${JSON.stringify(file)}: expected a CA certificate in PEM (-----BEGIN CERTIFICATE-----)`,
    );
  }
  const now = Date.now();
  if (now < Date.parse(certificate.validFrom) || now > Date.parse(certificate.validTo))
    throw new ConfigError(
      'KAFKA_SSL_CA_FILE',
      `KAFKA_SSL_CA_FILE ${JSON.stringify(file)}: the certificate is valid from ${certificate.validFrom} to ${certificate.validTo}, not now`,
    );
  return pem;
}

/**
 * kafkaAuthFromSettings for a composition root: a bad setting ends the process with one line naming it
 * (exit code 78, EX_CONFIG), as loadConfigOrExit does.
 */
export function kafkaAuthOrExit(service: string, settings: KafkaAuthSettings): KafkaAuth | undefined {
  try {
    return kafkaAuthFromSettings(settings);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: configuration error: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}
