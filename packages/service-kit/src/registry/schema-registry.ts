import registryLib from '@kafkajs/confluent-schema-registry';
import avro, { type Schema as AvscSchema } from 'avsc';
import type { Logger } from '../log/logger.ts';
import {
  classifyError,
  isRetriableStatus,
  RecordInvalidError,
  RecordUndecodableError,
  RegistryMisuseError,
  RegistryUnavailableError,
  SchemaIncompatibleError,
  SchemaNotFoundError,
} from './errors.ts';
import { retryWhileRetriable } from './retry.ts';
import { toWireFormat } from './wire-format.ts';

// the error policy and its retry loop travel with the client (service-kit's index exports this file)
export * from './errors.ts';
export * from './retry.ts';

const { SchemaRegistry, SchemaType } = registryLib;

export type Compatibility = 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE' | 'NONE';

/** An Avro schema as parsed JSON (the content of a schemas/*.avsc file). */
export type AvroSchemaJson = Exclude<AvscSchema, string> & { name: string; namespace?: string };

export interface SchemaRegistryClient {
  /**
   * Sets the subject's compatibility level explicitly, then registers the schema under it (idempotent:
   * the same schema gets the same id). Throws SchemaIncompatibleError when the registry refuses it. A
   * registry that does not answer is waited for (startupRetryMs), so a service may start before it.
   */
  register(subject: string, schema: AvroSchemaJson, compatibility: Compatibility): Promise<number>;
  /**
   * Confluent wire format: magic byte 0, 4-byte schema id, Avro binary. Validates against the schema and
   * throws RecordInvalidError (paths only) when the record does not fit.
   */
  encode(schemaId: number, payload: unknown): Promise<Buffer>;
  /**
   * Decodes a wire-format buffer. With a reader schema, the writer's schema is resolved to it, so a
   * consumer that owns its schema sees defaults for fields an older writer did not have, and never a field
   * a newer writer added. Throws only errors classifyError knows: RecordUndecodableError and
   * SchemaNotFoundError (poison), RegistryUnavailableError (retriable), RegistryMisuseError (bug). Fails
   * fast: the caller retries (retryWhileRetriable) where it can heartbeat and notice a stop.
   */
  decode<T = unknown>(buffer: Buffer, readerSchema?: AvroSchemaJson): Promise<T>;
  compatibilityOf(subject: string): Promise<Compatibility | undefined>;
}

/** The subject of a topic's values, Confluent's TopicNameStrategy. */
export const valueSubject = (topic: string): string => `${topic}-value`;

export interface SchemaRegistryClientOptions {
  url: string;
  /** where register() says it is waiting for the registry (warn); silent without one */
  logger?: Logger;
  /** how long register() waits for a registry that does not answer before it gives up (default 2 minutes) */
  startupRetryMs?: number;
  /** how long one request to the registry may take (default 10 s) */
  requestTimeoutMs?: number;
}

export function createSchemaRegistryClient({
  url,
  logger,
  startupRetryMs = 120_000,
  requestTimeoutMs = 10_000,
}: SchemaRegistryClientOptions): SchemaRegistryClient {
  const registry = new SchemaRegistry({ host: url, clientId: 'register-feeds' });
  const readers = new WeakMap<object, { type: avro.Type; resolvers: Map<number, avro.Resolver> }>();
  const writers = new Map<number, avro.Type>();
  /** the types encode writes with, by schema id: those this client registered, and those it fetched to encode */
  const encoders = new Map<number, avro.Type>();
  const pendingWriters = new Map<number, Promise<avro.Type>>();

  /** One request of our own; never the URL in a message (it may hold user:password). */
  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json', Accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw new RegistryUnavailableError(`the schema registry did not answer ${method} ${path}`, { cause: error });
    }
    if (isRetriableStatus(status)) throw new RegistryUnavailableError(`the schema registry answered ${method} ${path} with HTTP ${status}`);
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined; // not the registry's JSON (a proxy's page): the status decides
    }
    return { status, json };
  }

  /** The library's errors in our terms: an outage however mappersmith wraps it (see errors.ts) is RegistryUnavailableError. */
  function fromLibrary(error: unknown, what: string): unknown {
    if (error instanceof Error && error.name === 'ResponseError' && classifyError(error) === 'retriable')
      return new RegistryUnavailableError(`the schema registry did not answer (${what})`, { cause: error });
    return error;
  }

  /**
   * Two services (or two projections of one) may set the same subject's level at the same moment; Apicurio
   * then answers 409 to one of them. What counts is the level the subject ends up with, so on a refusal
   * it is read back, and set once more if it differs.
   */
  async function ensureCompatibility(subject: string, compatibility: Compatibility): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const put = await api('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility });
      if (put.status === 200) return;
      const current = await api('GET', `/config/${encodeURIComponent(subject)}`);
      if ((current.json as { compatibilityLevel?: string } | undefined)?.compatibilityLevel === compatibility) return;
      if (attempt === 3) {
        throw new RegistryMisuseError(
          `registry refused compatibility ${compatibility} for ${subject}: HTTP ${put.status} ${JSON.stringify(put.json)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }

  async function registerOnce(subject: string, schema: AvroSchemaJson, compatibility: Compatibility): Promise<number> {
    // Set the level first: the library compares the subject's level with the one passed and throws on a
    // mismatch, and a registry's default for a new subject differs between products.
    await ensureCompatibility(subject, compatibility);
    try {
      const { id } = await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject, compatibility: compatibility as never, updateConfig: false },
      );
      // the id names this very schema, so encode needs no request and no parse for it
      if (!encoders.has(id)) encoders.set(id, avro.Type.forSchema(schema as AvscSchema));
      return id;
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 409 || status === 422) {
        throw new SchemaIncompatibleError(
          subject,
          `schema ${schema.namespace ?? ''}.${schema.name} is not ${compatibility} compatible with subject ${subject}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      throw fromLibrary(error, `register ${subject}`);
    }
  }

  /**
   * A writer schema by id, asked of the registry itself rather than through the library: the library
   * reports a refused connection as HTTP 400 and drops the registry's error code, and only the code tells
   * "no such schema" (40403, poison) from a 404 that is not the registry's answer at all.
   */
  async function fetchWriter(id: number): Promise<avro.Type> {
    const path = `/schemas/ids/${id}`;
    const { status, json } = await api('GET', path);
    if (status === 404) {
      if ((json as { error_code?: unknown } | undefined)?.error_code === 40403) throw new SchemaNotFoundError(id);
      throw new RegistryUnavailableError(
        `GET ${path} answered 404 without the registry's error code 40403: not the registry's answer (a proxy, a registry still starting, or a wrong SCHEMA_REGISTRY_URL)`,
      );
    }
    if (status !== 200) throw new RegistryMisuseError(`the schema registry refused GET ${path}: HTTP ${status}`);
    const found = json as { schema?: unknown; schemaType?: unknown; references?: unknown[] } | undefined;
    if (found?.schemaType !== undefined && found.schemaType !== 'AVRO')
      throw new RecordUndecodableError('not-avro', `written with schema ${id}, a ${String(found.schemaType)} schema, not Avro`);
    if ((found?.references?.length ?? 0) > 0)
      throw new RegistryMisuseError(`schema ${id} has references, which this client does not resolve`);
    try {
      return avro.Type.forSchema(JSON.parse(String(found?.schema)) as AvscSchema);
    } catch (error) {
      throw new RegistryMisuseError(`schema ${id} from the registry is not an Avro schema this client can parse`, { cause: error });
    }
  }

  /** Cached for good once found (an id's schema never changes); a failure is not cached, the next call asks again. */
  async function writerType(id: number): Promise<avro.Type> {
    const known = writers.get(id);
    if (known) return known;
    let pending = pendingWriters.get(id);
    if (!pending) {
      pending = fetchWriter(id).finally(() => pendingWriters.delete(id));
      pendingWriters.set(id, pending);
    }
    const type = await pending;
    writers.set(id, type);
    return type;
  }

  return {
    register(subject, schema, compatibility) {
      const started = Date.now();
      return retryWhileRetriable(() => registerOnce(subject, schema, compatibility), {
        initialDelayMs: 200,
        deadline: started + startupRetryMs,
        onRetry: ({ attempt, delayMs, error }) =>
          logger?.warn({ subject, attempt, delayMs, err: error }, 'schema registry unavailable, retrying'),
      });
    },
    async encode(schemaId, payload) {
      let type = encoders.get(schemaId);
      if (!type) {
        try {
          type = await writerType(schemaId);
        } catch (error) {
          // an id this service never registered nor the registry knows: this service's mistake, a bug
          if (error instanceof SchemaNotFoundError)
            throw new RegistryMisuseError(`the schema registry has no schema ${schemaId} to encode with`, { cause: error });
          throw error;
        }
        encoders.set(schemaId, type);
      }
      try {
        return toWireFormat(schemaId, type, payload);
      } catch {
        // avsc's message quotes the offending value; keep only the paths
        const paths: string[] = [];
        type.isValid(payload, { errorHook: (path) => paths.push(path.join('.')) });
        throw new RecordInvalidError(schemaId, paths);
      }
    },
    async decode<T>(buffer: Buffer, readerSchema?: AvroSchemaJson): Promise<T> {
      if (!Buffer.isBuffer(buffer)) throw new RecordUndecodableError('not-wire-format', 'no value to decode (a tombstone?)');
      if (buffer.length < 5)
        throw new RecordUndecodableError('not-wire-format', `${buffer.length} bytes: too short for the Confluent wire format`);
      if (buffer[0] !== 0)
        throw new RecordUndecodableError('unknown-magic-byte', `magic byte ${buffer[0]}, expected 0: not the Confluent wire format`);
      const writerId = buffer.readInt32BE(1);
      const writer = await writerType(writerId);
      let read: () => T = () => writer.fromBuffer(buffer.subarray(5)) as T;
      if (readerSchema) {
        // Building the reader type and the resolver is costly (avsc Type.forSchema): both are cached, per
        // reader schema object and per writer schema id.
        let reader = readers.get(readerSchema);
        if (!reader) {
          reader = { type: avro.Type.forSchema(readerSchema as AvscSchema), resolvers: new Map() };
          readers.set(readerSchema, reader);
        }
        let resolver = reader.resolvers.get(writerId);
        if (!resolver) {
          try {
            resolver = reader.type.createResolver(writer);
          } catch (error) {
            // the registry accepted the writer, so the reader is behind or wrong: a deployment to fix, not poison
            throw new RegistryMisuseError(`reader schema ${readerSchema.name} cannot read writer schema ${writerId}`, { cause: error });
          }
          reader.resolvers.set(writerId, resolver);
        }
        const { type } = reader;
        const resolved = resolver;
        read = () => type.fromBuffer(buffer.subarray(5), resolved) as T;
      }
      try {
        return read();
      } catch {
        // avsc says why (truncated, trailing data, a bad union index): never with the bytes, but not kept either
        throw new RecordUndecodableError('undecodable', `the Avro bytes do not decode with their writer schema ${writerId}`);
      }
    },
    async compatibilityOf(subject) {
      const result = await api('GET', `/config/${encodeURIComponent(subject)}`);
      if (result.status === 404) return undefined;
      return (result.json as { compatibilityLevel?: Compatibility }).compatibilityLevel;
    },
  };
}
