import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import registryLib from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.ts';
import {
  classifyError,
  poisonReason,
  RecordInvalidError,
  RecordUndecodableError,
  RegistryMisuseError,
  RegistryUnavailableError,
  SchemaIncompatibleError,
  SchemaNotFoundError,
} from './errors.ts';
import { type AvroSchemaJson, createSchemaRegistryClient } from './schema-registry.ts';

// The one error policy (errors.ts), fed the errors the real clients produce: the library
// (@kafkajs/confluent-schema-registry over mappersmith) and our own wrapper, against a closed port and a
// stub registry on localhost that answers what a registry (or something in front of it) can answer.

const { SchemaRegistry } = registryLib;

const WRITER: AvroSchemaJson = {
  type: 'record',
  name: 'Thing',
  namespace: 'test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'size', type: 'long' },
  ],
};
const WRITER_ID = 7;
/** a valid record of WRITER, in the Confluent wire format */
const WIRE = Buffer.concat([Buffer.from([0, 0, 0, 0, WRITER_ID]), avro.Type.forSchema(WRITER).toBuffer({ id: 'abc', size: 42 })]);
const UNKNOWN = Buffer.from([0, 0, 0, 0, 99, 2, 0x61]);

type Answer = (req: IncomingMessage, res: ServerResponse) => void;
const json =
  (status: number, body: unknown): Answer =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
/** a registry: schema WRITER_ID exists, every other id is 40403 */
const registryAnswer: Answer = (req, res) => {
  if (req.url === `/schemas/ids/${WRITER_ID}`) return json(200, { schema: JSON.stringify(WRITER) })(req, res);
  json(404, { error_code: 40403, message: 'Schema not found' })(req, res);
};

let answer: Answer = registryAnswer;
let stub: Server;
let stubUrl: string;
let closedUrl: string;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  stub = createServer((req, res) => answer(req, res));
  stubUrl = `http://127.0.0.1:${await listen(stub)}`;
  // a port nothing listens on: connections are refused, as when the registry is down
  const probe = createServer();
  closedUrl = `http://127.0.0.1:${await listen(probe)}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
afterAll(async () => {
  stub.closeAllConnections();
  await new Promise<void>((resolve) => stub.close(() => resolve()));
});

/** What a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** The library with its own retries off, so a 500 answers at once. */
const library = (url: string) => new SchemaRegistry({ host: url, clientId: 'test', retry: { retries: 0 } });

describe('what @kafkajs/confluent-schema-registry throws', () => {
  it('reports a refused connection as a ResponseError with status 400 and no cause: retriable', async () => {
    const error = (await rejection(library(closedUrl).decode(WIRE))) as Record<string, unknown>;
    // the shape that made pseudonymise dead-letter valid events during an outage
    expect(error).toMatchObject({ name: 'ResponseError', status: 400 });
    expect(error.message).toMatch(/Error, status 400: connect ECONNREFUSED/);
    expect(error.cause).toBeUndefined();
    expect(classifyError(error)).toBe('retriable');
  });

  it('reports a connection reset the same way: retriable', async () => {
    answer = (req) => req.socket.destroy();
    const error = (await rejection(library(stubUrl).decode(WIRE))) as Record<string, unknown>;
    expect(error).toMatchObject({ name: 'ResponseError', status: 400 });
    expect(classifyError(error)).toBe('retriable');
  });

  it('passes a 5xx on: retriable', async () => {
    answer = json(500, { error_code: 50001, message: 'Error in the backend data store' });
    const error = await rejection(library(stubUrl).decode(WIRE));
    expect(error).toMatchObject({ name: 'ResponseError', status: 500 });
    expect(classifyError(error)).toBe('retriable');
  });

  it('drops the registry error code of a 404, so its 404 is not proof of a missing schema: a bug, never poison', async () => {
    answer = registryAnswer;
    const error = (await rejection(library(stubUrl).decode(UNKNOWN))) as Record<string, unknown>;
    expect(error).toMatchObject({ name: 'ResponseError', status: 404 });
    expect(JSON.stringify(error)).not.toContain('40403');
    expect(classifyError(error)).toBe('bug');
  });

  it('answers a registry’s own 400 with its message: a bug', async () => {
    answer = json(400, { error_code: 400, message: 'Bad request' });
    const error = await rejection(library(stubUrl).decode(WIRE));
    expect(error).toMatchObject({ name: 'ResponseError', status: 400, message: 'test - Bad request' });
    expect(classifyError(error)).toBe('bug');
  });

  it('refuses an unknown magic byte: poison', async () => {
    const error = await rejection(library(stubUrl).decode(Buffer.from('not avro at all')));
    expect(error).toMatchObject({ name: 'ConfluentSchemaRegistryArgumentError' });
    expect(classifyError(error)).toBe('poison');
  });
});

describe('what the project’s registry client throws on decode', () => {
  it('a refused connection: RegistryUnavailableError, retriable, with the socket error as its cause', async () => {
    const error = await rejection(createSchemaRegistryClient({ url: closedUrl }).decode(WIRE));
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect(classifyError(error)).toBe('retriable');
    expect(JSON.stringify((error as Error).cause, Object.getOwnPropertyNames((error as Error).cause))).toContain('fetch failed');
    expect(((error as Error).cause as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it.each([
    ['500', json(500, { error_code: 50001, message: 'boom' })],
    ['503 with a proxy’s HTML page', ((_req, res) => res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>down</h1>')) as Answer],
    ['429', json(429, { message: 'slow down' })],
    ['404 without the registry’s code (not the registry answering)', json(404, { message: 'no route' })],
  ])('%s: retriable', async (_what, served) => {
    answer = served;
    const error = await rejection(createSchemaRegistryClient({ url: stubUrl }).decode(WIRE));
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect(classifyError(error)).toBe('retriable');
  });

  it('a request timeout: retriable', async () => {
    answer = () => {}; // never answers
    const error = await rejection(createSchemaRegistryClient({ url: stubUrl, requestTimeoutMs: 200 }).decode(WIRE));
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect(classifyError(error)).toBe('retriable');
  });

  it('a 404 with the registry’s own code 40403: SchemaNotFoundError, poison', async () => {
    answer = registryAnswer;
    const error = await rejection(createSchemaRegistryClient({ url: stubUrl }).decode(UNKNOWN));
    expect(error).toBeInstanceOf(SchemaNotFoundError);
    expect(classifyError(error)).toBe('poison');
    expect(poisonReason(error, 'x')).toEqual({
      field: '',
      rule: 'unknown-schema',
      message: 'the registry has no schema with id 99 (40403)',
    });
  });

  it('401: a bug (the service is misconfigured, the record is fine)', async () => {
    answer = json(401, { message: 'Unauthorized' });
    const error = await rejection(createSchemaRegistryClient({ url: stubUrl }).decode(WIRE));
    expect(error).toBeInstanceOf(RegistryMisuseError);
    expect(classifyError(error)).toBe('bug');
  });

  it.each([
    ['not Avro at all', Buffer.from('{"json": true}'), 'unknown-magic-byte'],
    ['too short for the wire format', Buffer.from([0, 0, 1]), 'not-wire-format'],
    ['a tombstone', null, 'not-wire-format'],
    ['Avro bytes that do not decode', WIRE.subarray(0, 7), 'undecodable'],
    ['Avro bytes with trailing data', Buffer.concat([WIRE, Buffer.from([1, 2, 3])]), 'undecodable'],
  ])('%s: RecordUndecodableError, poison', async (_what, bytes, rule) => {
    answer = registryAnswer;
    const error = await rejection(createSchemaRegistryClient({ url: stubUrl }).decode(bytes as Buffer));
    expect(error).toBeInstanceOf(RecordUndecodableError);
    expect(classifyError(error)).toBe('poison');
    expect(poisonReason(error, 'x').rule).toBe(rule);
    expect(poisonReason(error, 'x').message).not.toContain('abc');
  });

  it('a JSON schema’s record: poison (not Avro)', async () => {
    answer = json(200, { schemaType: 'JSON', schema: '{"type":"object"}' });
    const error = await rejection(createSchemaRegistryClient({ url: stubUrl }).decode(WIRE));
    expect(error).toMatchObject({ rule: 'not-avro' });
    expect(classifyError(error)).toBe('poison');
  });

  it('decodes with the writer’s schema, or resolved to a reader’s, and fails over to the registry again after an outage', async () => {
    const client = createSchemaRegistryClient({ url: stubUrl });
    answer = json(503, {});
    expect(classifyError(await rejection(client.decode(WIRE)))).toBe('retriable');
    answer = registryAnswer; // a failure is not cached
    expect(await client.decode(WIRE)).toEqual({ id: 'abc', size: 42 });
    const reader: AvroSchemaJson = {
      ...WRITER,
      fields: [
        { name: 'id', type: 'string' },
        { name: 'note', type: ['null', 'string'], default: null },
      ],
    };
    expect(await client.decode(WIRE, reader)).toEqual({ id: 'abc', note: null });
  });

  it('a reader schema that cannot read the writer’s: a bug, not poison', async () => {
    answer = registryAnswer;
    const reader: AvroSchemaJson = { ...WRITER, fields: [{ name: 'required', type: 'string' }] };
    const error = await rejection(createSchemaRegistryClient({ url: stubUrl }).decode(WIRE, reader));
    expect(error).toBeInstanceOf(RegistryMisuseError);
    expect(classifyError(error)).toBe('bug');
  });
});

describe('what the project’s registry client throws on encode', () => {
  it('an id it did not register: fetched once from the registry, then encoded without asking again, in the wire format', async () => {
    let requests = 0;
    answer = (req, res) => {
      requests += 1;
      registryAnswer(req, res);
    };
    const client = createSchemaRegistryClient({ url: stubUrl });
    expect((await client.encode(WRITER_ID, { id: 'abc', size: 42 })).equals(WIRE)).toBe(true);
    expect((await client.encode(WRITER_ID, { id: 'abc', size: 42 })).equals(WIRE)).toBe(true);
    expect(requests).toBe(1);
  });

  it('a record that does not fit: RecordInvalidError with the paths, never the value; poison', async () => {
    answer = registryAnswer;
    const error = await rejection(createSchemaRegistryClient({ url: stubUrl }).encode(WRITER_ID, { id: '999999990', size: 'x' }));
    expect(error).toBeInstanceOf(RecordInvalidError);
    expect(error).toMatchObject({ paths: ['size'] });
    expect((error as Error).message).not.toContain('999999990');
    expect(classifyError(error)).toBe('poison');
  });

  it('an id the registry does not have: a bug; the registry down: retriable', async () => {
    answer = registryAnswer;
    const unknown = await rejection(createSchemaRegistryClient({ url: stubUrl }).encode(99, { id: 'a', size: 1 }));
    expect(unknown).toBeInstanceOf(RegistryMisuseError);
    expect(classifyError(unknown)).toBe('bug');
    const down = await rejection(createSchemaRegistryClient({ url: closedUrl }).encode(WRITER_ID, { id: 'a', size: 1 }));
    expect(down).toBeInstanceOf(RegistryUnavailableError);
  });
});

describe('register while the registry is down', () => {
  it('retries with backoff, says so, and gives up with a retriable error after startupRetryMs', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    const client = createSchemaRegistryClient({
      url: closedUrl,
      startupRetryMs: 1_000,
      logger: createLogger({ service: 'test', destination }),
    });
    const error = await rejection(client.register('a-subject', WRITER, 'BACKWARD'));
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    const retries = lines.filter((l) => l.msg === 'schema registry unavailable, retrying');
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0]).toMatchObject({ level: 'warn', subject: 'a-subject', attempt: 1 });
  });
});

describe('everything else', () => {
  it.each([['fetch against a closed port', () => fetch(closedUrl).then(() => undefined)]])('%s: retriable', async (_what, failing) => {
    expect(classifyError(await rejection(failing()))).toBe('retriable');
  });

  it('kafkajs: retriable errors, also wrapped in "retries exceeded"', () => {
    expect(classifyError(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).toBe('retriable');
    const notHosted = new KafkaJSProtocolError(
      Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3 }),
    );
    expect(notHosted.retriable).toBe(true);
    expect(classifyError(new KafkaJSNumberOfRetriesExceeded(notHosted, { retryCount: 5, retryTime: 100 }))).toBe('retriable');
    expect(classifyError(new KafkaJSNonRetriableError('fenced'))).toBe('bug');
  });

  it('a system error code anywhere in the cause chain: retriable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8080'), { code: 'ECONNREFUSED' });
    expect(classifyError(new Error('outer', { cause: new Error('middle', { cause: refused }) }))).toBe('retriable');
    expect(classifyError(new AggregateError([new Error('x'), refused]))).toBe('retriable');
  });

  it('the project’s own errors say what they are', () => {
    expect(classifyError(new RecordInvalidError(3, ['persoon.bsn']))).toBe('poison');
    expect(classifyError(new SchemaIncompatibleError('s', 'no'))).toBe('bug');
  });

  it('an unexpected exception (a projection that throws on a valid record): a bug, never poison', () => {
    expect(classifyError(new TypeError("Cannot read properties of undefined (reading 'brin')"))).toBe('bug');
    expect(classifyError('a string')).toBe('bug');
    expect(classifyError(undefined)).toBe('bug');
  });
});
