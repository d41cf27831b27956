/**
 * What a failure means for the record in hand, decided in one place for every edge (ingest, pseudonymise,
 * deliver): the edges ask classifyError and act on its answer, never on an error's name or status.
 *
 * - `retriable`: the record is fine, something it needs is not there now: the schema registry, the broker,
 *   the network (refused or reset connections, DNS, timeouts, 5xx, 408, 429). Retried with backoff and
 *   jitter (retry.ts) for as long as the service runs, and NEVER dead-lettered: a dead letter is for good,
 *   an outage is not.
 * - `poison`: the record itself can never be processed: not in the Confluent wire format, an unknown magic
 *   byte, a schema id the registry definitively says does not exist (404 with ITS error code 40403), bytes
 *   that do not decode with their own writer schema, a record that does not fit its schema. It goes to the
 *   dead-letter topic with its reasons and source coordinates, and the partition reads on.
 * - `bug`: anything else, above all an unexpected exception on a valid record (a projection's apply that
 *   throws, a reader schema that cannot read what the registry accepted). Not the record's fault, so it is
 *   not dead-lettered (that would drop valid data for good); the partition stops loudly instead.
 *
 * The classification looks at the whole cause chain, because every library wraps differently. The one
 * this had to learn: @kafkajs/confluent-schema-registry (through mappersmith) reports a connection that was
 * refused, reset or timed out as a `ResponseError` with `status: 400` and the message
 * "<clientId> - Error, status 400: connect ECONNREFUSED 127.0.0.1:8080", with no cause and no code (a real
 * HTTP 400 from the registry carries the registry's own JSON message instead). Reading that as "the
 * registry refused this record" dead-lettered valid events during an outage.
 */

export type ErrorClass = 'retriable' | 'poison' | 'bug';

/** The registry refused a schema: it is not compatible with what the subject already holds. A deployment to fix. */
export class SchemaIncompatibleError extends Error {
  readonly errorClass = 'bug';
  readonly retriable = false;
  readonly isTrusted = true;
  readonly subject: string;
  constructor(subject: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SchemaIncompatibleError';
    this.subject = subject;
  }
}

/**
 * A record does not fit the schema it is encoded with. Carries the paths of the offending fields, never
 * their values (the values may be person data). Poison: the same record fails the same way. (Where the
 * record is the service's own output, that is a bug of the service: such an edge does not catch it.)
 */
export class RecordInvalidError extends Error {
  readonly errorClass = 'poison';
  readonly retriable = false;
  readonly isTrusted = true;
  readonly rule = 'schema-mismatch';
  readonly paths: string[];
  constructor(schemaId: number, paths: string[]) {
    super(`record does not fit schema ${schemaId} at ${paths.join(', ') || '(root)'}`);
    this.name = 'RecordInvalidError';
    this.paths = paths;
  }
}

/** The schema registry did not answer, or answered that it cannot now (5xx, 408, 429). Retriable. */
export class RegistryUnavailableError extends Error {
  readonly errorClass = 'retriable';
  readonly retriable = true;
  readonly isTrusted = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistryUnavailableError';
  }
}

/** The registry said, with its own error code 40403, that no schema has this id: no reader ever can read the record. Poison. */
export class SchemaNotFoundError extends Error {
  readonly errorClass = 'poison';
  readonly retriable = false;
  readonly isTrusted = true;
  /** the dead-letter rule */
  readonly rule = 'unknown-schema';
  readonly schemaId: number;
  constructor(schemaId: number) {
    super(`the registry has no schema with id ${schemaId} (40403)`);
    this.name = 'SchemaNotFoundError';
    this.schemaId = schemaId;
  }
}

/**
 * The bytes cannot be read: not the Confluent wire format (magic byte 0, 4-byte schema id, Avro), or Avro
 * that does not decode with its own writer schema. Carries what was wrong, never the bytes. Poison.
 */
export class RecordUndecodableError extends Error {
  readonly errorClass = 'poison';
  readonly retriable = false;
  readonly isTrusted = true;
  /** the dead-letter rule */
  readonly rule: 'not-wire-format' | 'unknown-magic-byte' | 'not-avro' | 'undecodable';
  constructor(rule: RecordUndecodableError['rule'], message: string) {
    super(message);
    this.name = 'RecordUndecodableError';
    this.rule = rule;
  }
}

/**
 * The registry answered in a way that says this service is wrong, not the record and not an outage: a
 * request it refuses (400, 401, 403), a reader schema that cannot read a writer schema the registry
 * accepted, a schema this client cannot parse. A bug or a deployment to fix; stops the partition.
 */
export class RegistryMisuseError extends Error {
  readonly errorClass = 'bug';
  readonly retriable = false;
  readonly isTrusted = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistryMisuseError';
  }
}

const ERROR_CLASSES: ReadonlySet<string> = new Set<ErrorClass>(['retriable', 'poison', 'bug']);

/** Error codes of Node's sockets, DNS and undici (fetch) that mean "no answer now". */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTCONN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** HTTP statuses that say "not now" rather than "never". */
export const isRetriableStatus = (status: number): boolean => status >= 500 || status === 408 || status === 429;

/**
 * mappersmith's report of a request that got no HTTP answer at all (refused, reset, DNS, timeout): status
 * 400 and "Error, status 400: <the socket's error message>" (gateway.dispatchClientError, wrapped by the
 * library's errorMiddleware). A registry's own 400 has a JSON body and its message shows instead.
 */
const NO_ANSWER =
  /Error, status 400: |ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|socket hang up|Timeout \(/;

interface Inspectable {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  status?: unknown;
  retriable?: unknown;
  errorClass?: unknown;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown;
}

/** The error and everything it wraps (cause, kafkajs's originalError, an AggregateError's errors), breadth first. */
function chainOf(error: unknown): Inspectable[] {
  const seen = new Set<unknown>();
  const chain: Inspectable[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && chain.length < 20) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const link = e as Inspectable;
    chain.push(link);
    queue.push(link.cause, link.originalError);
    if (Array.isArray(link.errors)) queue.push(...link.errors);
  }
  return chain;
}

/** One link's own verdict, or undefined when it says nothing either way. */
function classifyLink(e: Inspectable): ErrorClass | undefined {
  if (typeof e.errorClass === 'string' && ERROR_CLASSES.has(e.errorClass)) return e.errorClass as ErrorClass;
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return 'retriable';
  if (name === 'TimeoutError') return 'retriable'; // AbortSignal.timeout, mappersmith's timeout
  if (name === 'TypeError' && message === 'fetch failed') return 'retriable'; // undici: no response at all
  // @kafkajs/confluent-schema-registry's ResponseError (mappersmith): see the top of this file
  if (name === 'ResponseError' && typeof e.status === 'number') {
    if (isRetriableStatus(e.status)) return 'retriable';
    if (e.status === 400 && NO_ANSWER.test(message)) return 'retriable';
    // a 404 here has lost the registry's error code: not proof that the schema does not exist
    return 'bug';
  }
  if (name === 'ConfluentSchemaRegistryArgumentError' && /magic byte|Invalid buffer/.test(message)) return 'poison';
  if (name === 'ConfluentSchemaRegistryValidationError') return 'poison';
  // kafkajs and our own errors say it themselves
  if (e.retriable === true) return 'retriable';
  return undefined;
}

/**
 * The one policy: retriable, poison or bug (see the top of this file). An error that says nothing known
 * anywhere in its cause chain is a bug: never dead-letter what is not known to be poison.
 */
export function classifyError(error: unknown): ErrorClass {
  const chain = chainOf(error);
  // an error of ours that says what it is decides
  const own = chain[0]?.errorClass;
  if (typeof own === 'string' && ERROR_CLASSES.has(own)) return own as ErrorClass;
  // otherwise an outage anywhere in the chain makes the whole retriable (a wrapper may call itself
  // anything, kafkajs's "retries exceeded" included), and else the outermost verdict counts
  const verdicts = chain.map(classifyLink);
  if (verdicts.includes('retriable')) return 'retriable';
  return verdicts.find((v) => v !== undefined) ?? 'bug';
}

/**
 * The dead-letter reason for a poison error: its rule and a message of ours, never the bytes it is about.
 * The message names the error and what was wrong; no error this file knows puts record content in it.
 */
export function poisonReason(error: unknown, fallbackRule: string): { field: string; rule: string; message: string } {
  const e = error as { rule?: unknown; name?: unknown; message?: unknown };
  const rule = typeof e.rule === 'string' ? e.rule : fallbackRule;
  const known = error instanceof SchemaNotFoundError || error instanceof RecordUndecodableError || error instanceof RecordInvalidError;
  const message = known ? String(e.message) : `${typeof e.name === 'string' ? e.name : 'Error'}`;
  return { field: '', rule, message };
}
