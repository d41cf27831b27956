import avro, { type Schema as AvscSchema } from 'avsc';
import {
  RecordInvalidError,
  RecordUndecodableError,
  RegistryMisuseError,
  RegistryUnavailableError,
  SchemaIncompatibleError,
  SchemaNotFoundError,
} from './errors.ts';
import { retryWhileRetriable } from './retry.ts';
import type { AvroSchemaJson, Compatibility, SchemaRegistryClient } from './schema-registry.ts';

/**
 * A schema registry in memory for unit tests: the registry (subjects, versions, global ids, compatibility
 * levels) and clients of it that behave as createSchemaRegistryClient does, with the same error classes,
 * so an edge's error policy can be tested without Apicurio:
 *
 * - register: the same schema gets the same id (in any subject); a schema that is not compatible with the
 *   subject's versions at its level (checked with avsc's schema resolution) throws SchemaIncompatibleError.
 * - encode: Confluent wire format (magic byte 0, 4-byte id, Avro); a payload that does not fit throws
 *   RecordInvalidError with paths only.
 * - decode: RecordUndecodableError for bytes that are not the wire format or do not decode,
 *   SchemaNotFoundError for an id the registry does not have, RegistryMisuseError for a reader schema that
 *   cannot read the writer's, and the writer resolved to the reader schema.
 * - an outage (setAvailable(false), or failNextRequests(n)): every request to the registry throws
 *   RegistryUnavailableError. As with the real client, what a client has cached needs no request: encode
 *   with an id it registered or used, decode with a writer id it has decoded before.
 */
export interface MemoryRegistry extends SchemaRegistryClient {
  /** false: the registry does not answer (as a refused connection), until set back to true */
  setAvailable(available: boolean): void;
  /** the next `count` requests to the registry fail as unavailable, then it answers again */
  failNextRequests(count: number): void;
  /** requests that reached the registry so far (cache hits are not requests) */
  requests(): number;
  /** another client of the same registry, with caches of its own (another service) */
  client(options?: MemoryRegistryClientOptions): SchemaRegistryClient;
  /** the subject's schemas, oldest first */
  versions(subject: string): Array<{ id: number; schema: AvroSchemaJson }>;
}

export interface MemoryRegistryClientOptions {
  /** how long register() waits for a registry that does not answer (default 0: it throws RegistryUnavailableError at once) */
  startupRetryMs?: number;
}

interface Stored {
  id: number;
  schema: AvroSchemaJson;
  type: avro.Type;
}

const canonical = (schema: AvroSchemaJson) => JSON.stringify(schema);

export function createMemoryRegistry(options: MemoryRegistryClientOptions = {}): MemoryRegistry {
  const byId = new Map<number, Stored>();
  const byContent = new Map<string, Stored>();
  const subjects = new Map<string, { compatibility?: Compatibility; versions: Stored[] }>();
  let available = true;
  let failing = 0;
  let requestCount = 0;

  /** one request to the registry: fails while it is down */
  const request = <T>(what: string, answer: () => T): T => {
    requestCount++;
    if (!available || failing > 0) {
      if (failing > 0) failing--;
      throw new RegistryUnavailableError(`the schema registry did not answer ${what}`, {
        cause: Object.assign(new Error('connect ECONNREFUSED (memory registry down)'), { code: 'ECONNREFUSED' }),
      });
    }
    return answer();
  };

  const subjectOf = (subject: string) => {
    let entry = subjects.get(subject);
    if (!entry) {
      entry = { versions: [] };
      subjects.set(subject, entry);
    }
    return entry;
  };

  const parse = (schema: AvroSchemaJson): avro.Type => {
    try {
      return avro.Type.forSchema(schema as AvscSchema);
    } catch (error) {
      throw new RegistryMisuseError(`schema ${schema.name} is not a valid Avro schema`, { cause: error });
    }
  };

  /** reader can read what writer wrote (avsc's resolution is Avro's schema resolution) */
  const canRead = (reader: avro.Type, writer: avro.Type): boolean => {
    try {
      reader.createResolver(writer);
      return true;
    } catch {
      return false;
    }
  };

  const compatible = (candidate: avro.Type, versions: Stored[], level: Compatibility): boolean => {
    const latest = versions.at(-1);
    const checked = level.endsWith('_TRANSITIVE') ? versions : latest ? [latest] : [];
    const base = level.replace('_TRANSITIVE', '');
    return checked.every(
      (old) =>
        base === 'NONE' ||
        ((base === 'BACKWARD' || base === 'FULL' ? canRead(candidate, old.type) : true) &&
          (base === 'FORWARD' || base === 'FULL' ? canRead(old.type, candidate) : true)),
    );
  };

  const registerAtRegistry = (subject: string, schema: AvroSchemaJson, compatibility: Compatibility): Stored =>
    request(`register ${subject}`, () => {
      const entry = subjectOf(subject);
      entry.compatibility = compatibility; // the real client sets the level explicitly before registering
      const content = canonical(schema);
      const existing = entry.versions.find((v) => canonical(v.schema) === content);
      if (existing) return existing;
      const type = parse(schema);
      if (!compatible(type, entry.versions, compatibility))
        throw new SchemaIncompatibleError(
          subject,
          `schema ${schema.namespace ?? ''}.${schema.name} is not ${compatibility} compatible with subject ${subject}`,
        );
      let stored = byContent.get(content);
      if (!stored) {
        stored = { id: byId.size + 1, schema, type };
        byId.set(stored.id, stored);
        byContent.set(content, stored);
      }
      entry.versions.push(stored);
      return stored;
    });

  const fetchSchema = (id: number): Stored =>
    request(`GET /schemas/ids/${id}`, () => {
      const stored = byId.get(id);
      if (!stored) throw new SchemaNotFoundError(id);
      return stored;
    });

  const createClient = ({ startupRetryMs = options.startupRetryMs ?? 0 }: MemoryRegistryClientOptions = {}): SchemaRegistryClient => {
    // the library's cache (register and encode) and the client's own writer cache (decode), as in schema-registry.ts
    const encoders = new Map<number, avro.Type>();
    const writers = new Map<number, avro.Type>();
    const readers = new WeakMap<object, avro.Type>();

    return {
      async register(subject, schema, compatibility) {
        const attempt = async () => registerAtRegistry(subject, schema, compatibility);
        const stored =
          startupRetryMs > 0
            ? await retryWhileRetriable(attempt, { initialDelayMs: 2, maxDelayMs: 50, deadline: Date.now() + startupRetryMs })
            : await attempt();
        encoders.set(stored.id, stored.type);
        return stored.id;
      },

      async encode(schemaId, payload) {
        let type = encoders.get(schemaId);
        if (!type) {
          try {
            type = fetchSchema(schemaId).type;
          } catch (error) {
            // the library reports an unknown id as a 404 ResponseError: this service's mistake, a bug
            if (error instanceof SchemaNotFoundError)
              throw new RegistryMisuseError(`the schema registry has no schema ${schemaId} to encode with`, { cause: error });
            throw error;
          }
          encoders.set(schemaId, type);
        }
        const paths: string[] = [];
        if (!type.isValid(payload, { errorHook: (path) => paths.push(path.join('.')) })) throw new RecordInvalidError(schemaId, paths);
        const header = Buffer.alloc(5);
        header.writeInt32BE(schemaId, 1);
        return Buffer.concat([header, type.toBuffer(payload)]);
      },

      async decode<T>(buffer: Buffer, readerSchema?: AvroSchemaJson): Promise<T> {
        if (!Buffer.isBuffer(buffer)) throw new RecordUndecodableError('not-wire-format', 'no value to decode (a tombstone?)');
        if (buffer.length < 5)
          throw new RecordUndecodableError('not-wire-format', `${buffer.length} bytes: too short for the Confluent wire format`);
        if (buffer[0] !== 0)
          throw new RecordUndecodableError('unknown-magic-byte', `magic byte ${buffer[0]}, expected 0: not the Confluent wire format`);
        const writerId = buffer.readInt32BE(1);
        let writer = writers.get(writerId);
        if (!writer) {
          writer = fetchSchema(writerId).type;
          writers.set(writerId, writer);
        }
        let type = writer;
        let resolver: avro.Resolver | undefined;
        if (readerSchema) {
          let reader = readers.get(readerSchema);
          if (!reader) {
            reader = parse(readerSchema);
            readers.set(readerSchema, reader);
          }
          try {
            resolver = reader.createResolver(writer);
          } catch (error) {
            throw new RegistryMisuseError(`reader schema ${readerSchema.name} cannot read writer schema ${writerId}`, { cause: error });
          }
          type = reader;
        }
        try {
          return type.fromBuffer(buffer.subarray(5), resolver) as T;
        } catch {
          throw new RecordUndecodableError('undecodable', `the Avro bytes do not decode with their writer schema ${writerId}`);
        }
      },

      async compatibilityOf(subject) {
        return request(`GET /config/${subject}`, () => subjects.get(subject)?.compatibility);
      },
    };
  };

  return {
    ...createClient(),
    setAvailable(value) {
      available = value;
    },
    failNextRequests(count) {
      failing = count;
    },
    requests: () => requestCount,
    client: createClient,
    versions: (subject) => (subjects.get(subject)?.versions ?? []).map(({ id, schema }) => ({ id, schema })),
  };
}
