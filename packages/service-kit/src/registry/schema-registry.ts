import registryLib from '@kafkajs/confluent-schema-registry';
import avro, { type Schema as AvscSchema } from 'avsc';

const { SchemaRegistry, SchemaType } = registryLib;

export type Compatibility = 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE' | 'NONE';

/** An Avro schema as parsed JSON (the content of a schemas/*.avsc file). */
export type AvroSchemaJson = Exclude<AvscSchema, string> & { name: string; namespace?: string };

/** The registry refused a schema: it is not compatible with what the subject already holds. Not retriable. */
export class SchemaIncompatibleError extends Error {
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
 * their values (the values may be person data). Not retriable: the same record fails the same way.
 */
export class RecordInvalidError extends Error {
  readonly retriable = false;
  readonly isTrusted = true;
  readonly paths: string[];
  constructor(schemaId: number, paths: string[]) {
    super(`record does not fit schema ${schemaId} at ${paths.join(', ') || '(root)'}`);
    this.name = 'RecordInvalidError';
    this.paths = paths;
  }
}

export interface SchemaRegistryClient {
  /**
   * Sets the subject's compatibility level explicitly, then registers the schema under it (idempotent:
   * the same schema gets the same id). Throws SchemaIncompatibleError when the registry refuses it.
   */
  register(subject: string, schema: AvroSchemaJson, compatibility: Compatibility): Promise<number>;
  /**
   * Confluent wire format: magic byte 0, 4-byte schema id, Avro binary. Validates against the schema and
   * throws RecordInvalidError (paths only) when the record does not fit.
   */
  encode(schemaId: number, payload: unknown): Promise<Buffer>;
  /**
   * Decodes a wire-format buffer. With a reader schema, the writer's schema is resolved to it, so a
   * consumer that owns its schema sees defaults for fields an older writer did not have.
   */
  decode<T = unknown>(buffer: Buffer, readerSchema?: AvroSchemaJson): Promise<T>;
  compatibilityOf(subject: string): Promise<Compatibility | undefined>;
}

/** The subject of a topic's values, Confluent's TopicNameStrategy. */
export const valueSubject = (topic: string): string => `${topic}-value`;

export function createSchemaRegistryClient({ url }: { url: string }): SchemaRegistryClient {
  const registry = new SchemaRegistry({ host: url, clientId: 'register-feeds' });
  const readers = new WeakMap<object, { type: avro.Type; resolvers: Map<number, avro.Resolver> }>();

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json', Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
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
        throw new Error(`registry refused compatibility ${compatibility} for ${subject}: HTTP ${put.status} ${JSON.stringify(put.json)}`);
      }
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }

  return {
    async register(subject, schema, compatibility) {
      // Set the level first: the library compares the subject's level with the one passed and throws on a
      // mismatch, and a registry's default for a new subject differs between products.
      await ensureCompatibility(subject, compatibility);
      try {
        const { id } = await registry.register(
          { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
          { subject, compatibility: compatibility as never, updateConfig: false },
        );
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
        throw error;
      }
    },
    async encode(schemaId, payload) {
      try {
        return await registry.encode(schemaId, payload);
      } catch (error) {
        // the library's message quotes the offending value; keep only the paths
        if ((error as Error).name === 'ConfluentSchemaRegistryValidationError') {
          throw new RecordInvalidError(
            schemaId,
            ((error as { paths?: string[][] }).paths ?? []).map((p) => p.join('.')),
          );
        }
        throw error;
      }
    },
    async decode(buffer, readerSchema) {
      if (!readerSchema) return registry.decode(buffer);
      // The library builds the reader type and the resolver anew for every record (avsc Type.forSchema,
      // costly); both are cached here: per reader schema object, and per writer schema id.
      if (buffer.length < 5 || buffer[0] !== 0) throw new RecordInvalidError(-1, ['(not Confluent wire format)']);
      const writerId = buffer.readInt32BE(1);
      let reader = readers.get(readerSchema);
      if (!reader) {
        reader = { type: avro.Type.forSchema(readerSchema as AvscSchema), resolvers: new Map() };
        readers.set(readerSchema, reader);
      }
      let resolver = reader.resolvers.get(writerId);
      if (!resolver) {
        const writer = (await registry.getSchema(writerId)) as unknown as avro.Type;
        resolver = reader.type.createResolver(writer);
        reader.resolvers.set(writerId, resolver);
      }
      return reader.type.fromBuffer(buffer.subarray(5), resolver);
    },
    async compatibilityOf(subject) {
      const result = await api('GET', `/config/${encodeURIComponent(subject)}`);
      if (result.status === 404) return undefined;
      return (result.json as { compatibilityLevel?: Compatibility }).compatibilityLevel;
    },
  };
}
