import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeededRandom, seededRandom } from '../seeded-random.test-support.ts';
import { get, type RawResponse, rawExchange, startTestApi, type TestApi, TOKENS } from './api.test-support.ts';
import { createCursorCodec } from './cursor.ts';

// Fuzzing the real read API server over real sockets: many malformed requests, made from a seeded PRNG so
// a failure can be reproduced (FUZZ_SEED=<seed> FUZZ_CASES=<n> npx vitest run --project unit <this file>).
// Every response that comes back must be a 4xx with an RFC 9457 problem body that does not repeat what
// was sent (each hostile part carries a marker and a BSN-like number), and the server must still answer
// /health afterwards.

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const CASES = Number(process.env.FUZZ_CASES ?? 600);
const MARKER = 'Zq9MARKERx';
const PERSON = '123456782';

type Case = { name: string; data: Buffer | string };

const tokens = [TOKENS.stagemarkt, TOKENS.svb, TOKENS.ggd];
const recipients = ['sbb-stagemarkt', 'svb-kostendelersnorm', 'ggd-jeugdgezondheid'];
const ownToken = (recipient: string) => tokens[recipients.indexOf(recipient)] as string;

function generators(r: SeededRandom): Array<() => Case> {
  const recipient = () => r.pick(recipients);
  const rows = (rec = recipient()) => `/v1/${rec}/rows`;
  const auth = (rec: string) => ({ authorization: `Bearer ${ownToken(rec)}` });
  const hostile = () => `${MARKER}${PERSON}${r.text(r.int(8))}`;
  const badPercent = () =>
    r.pick(['%E0%A4%A', '%', '%z', '%zz', '%C0%AF', '%ED%A0%80', '%F8%88%80%80%80', '%FF', '%E0%80', '%00', '%0A', '%7F', '%1B']);
  return [
    // bytes that are not HTTP at all
    () => ({ name: 'random bytes', data: Buffer.concat([r.bytes(1 + r.int(300)), Buffer.from(`${MARKER}${PERSON}\r\n\r\n`)]) }),
    () => ({ name: 'random text', data: `${r.text(1 + r.int(200))}${MARKER}${PERSON}\r\n\r\n` }),
    () => ({ name: 'HTTP/2 preface', data: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' }),
    // methods
    () => ({
      name: 'invalid method',
      data: `${r.pick(['get', 'G ET', 'GET\tX', 'FOO', 'GETT', '\x00GET', r.text(1 + r.int(10), 'ABCXYZ@!#'), MARKER])} /health HTTP/1.1\r\nHost: x\r\n\r\n`,
    }),
    () => {
      const method = r.pick(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'LOCK']);
      return {
        name: `method ${method}`,
        data: `${method} ${rows()}?x=${MARKER} HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n${PERSON}abc`,
      };
    },
    () => ({ name: 'CONNECT', data: `CONNECT ${MARKER}:443 HTTP/1.1\r\nHost: ${MARKER}:443\r\n\r\n` }),
    // request line and version
    () => ({
      name: 'bad version',
      data: `GET /health ${r.pick(['HTTP/1.2', 'HTTP/0.9', 'HTTP/9.9', 'HTTP/1', 'HTTX/1.1', 'http/1.1', 'HTTP/1.1 x'])}\r\nHost: x\r\n\r\n`,
    }),
    () => ({ name: 'no Host', data: `GET ${rows()}?${MARKER}=1 HTTP/1.1\r\n\r\n` }),
    () => ({ name: 'two Hosts', data: `GET ${rows()} HTTP/1.1\r\nHost: a\r\nHost: ${MARKER}\r\n\r\n` }),
    // targets
    () => ({
      name: 'malformed target',
      data: get(
        r.pick([
          'http://[',
          'http://[::1',
          `http://${MARKER}:99999/health`,
          'ftp://x/health',
          '*',
          'mailto:x',
          '//',
          'health',
          `?${MARKER}`,
        ]),
      ),
    }),
    () => ({ name: 'huge target', data: get(`${rows()}?brin=${MARKER}${'a'.repeat(8200 + r.int(30_000))}`) }),
    () => ({ name: 'control in target', data: get(`/v1/${MARKER}\x00${r.pick(['\x01', '\x7f', '\x1b', '\t'])}/rows`) }),
    () => ({
      name: 'non-ASCII target',
      data: Buffer.concat([Buffer.from('GET /v1/é'), r.bytes(5), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]),
    }),
    () => ({ name: 'bad percent in path', data: get(`/v1/sbb-stagemarkt/rows/${MARKER}${badPercent()}`, auth('sbb-stagemarkt')) }),
    () => {
      const rec = recipient();
      return { name: 'bad percent in key', data: get(`${rows(rec)}/${PERSON}${badPercent()}${badPercent()}`, auth(rec)) };
    },
    () => {
      const rec = recipient();
      return { name: 'bad percent in query', data: get(`${rows(rec)}?brin=${MARKER}${badPercent()}`, auth(rec)) };
    },
    () => ({ name: 'unknown path', data: get(`/${r.pick(['v0', 'v2', 'admin', 'v1', '.env', '..', '%2e%2e'])}/${hostile()}`) }),
    // headers
    () => ({ name: 'huge header', data: get('/health', { 'x-filler': `${MARKER}${'b'.repeat(16_500 + r.int(40_000))}` }) }),
    () => ({
      name: 'many headers',
      data: get('/health', Object.fromEntries(Array.from({ length: 1500 + r.int(1000) }, (_, i) => [`x-h${i}`, `${MARKER}${i}`]))),
    }),
    () => ({ name: 'NUL in header', data: `GET /health HTTP/1.1\r\nHost: x\r\nX-A: ${MARKER}\x00${PERSON}\r\n\r\n` }),
    () => ({
      name: 'bad header name',
      data: `GET /health HTTP/1.1\r\nHost: x\r\n${r.pick(['X A', 'X(A)', '', ' X', 'X\x01'])}: ${MARKER}\r\n\r\n`,
    }),
    () => ({ name: 'folded header', data: `GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n ${MARKER}\r\n\r\n` }),
    () => ({ name: 'bare LF', data: `GET /health HTTP/1.1\nHost: x\n\n${MARKER}` }),
    () => ({
      name: 'bad body framing',
      data: `GET ${rows()} HTTP/1.1\r\nHost: x\r\n${r.pick(['Content-Length: abc', 'Content-Length: -1', 'Content-Length: 1\r\nContent-Length: 2', 'Transfer-Encoding: chunked\r\nContent-Length: 3', 'Transfer-Encoding: gzip, chunked, x'])}\r\n\r\n${MARKER}`,
    }),
    () => ({ name: 'broken chunks', data: `GET ${rows()} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${MARKER}\r\n` }),
    () => ({ name: 'expectation', data: get('/health', { expect: `${MARKER}-${r.int(1000)}` }) }),
    // authorisation
    () => {
      const rec = recipient();
      const header = r.pick([
        `Bearer ${MARKER}${PERSON}`,
        `Bearer ${ownToken(r.pick(recipients.filter((x) => x !== rec)))}`,
        `Basic ${Buffer.from(`${MARKER}:${PERSON}`).toString('base64')}`,
        'Bearer',
        `Bearer  ${ownToken(rec)} x`,
        `bearer ${MARKER} ${ownToken(rec)}`,
        `Bearer ${TOKENS.admin}`,
        `Bearer ${ownToken(rec)}${MARKER}`,
      ]);
      return { name: 'not this recipient’s token', data: get(`${rows(rec)}?brin=${MARKER}`, { authorization: header }) };
    },
    // the operator's route without the admin token; /metrics, which the API port does not have (whatever the token)
    () => ({ name: 'admin route without its token', data: get(`/admin/rebuild/${recipient()}`, r.next() < 0.5 ? {} : auth(recipient())) }),
    () => ({ name: 'metrics on the API port', data: get('/metrics', r.next() < 0.5 ? {} : { authorization: `Bearer ${TOKENS.admin}` }) }),
    // parameters
    () => {
      const rec = recipient();
      const cursor = r.pick([
        hostile(),
        `c1.${r.text(1 + r.int(40), 'ABCxyz019_-')}=`,
        `c1.${r.text(1 + r.int(40), 'ABC+/xyz')}`,
        createCursorCodec(['not-this-api-0123456789']).seal(rec, `${MARKER}|${PERSON}`),
        createCursorCodec(tokens)
          .seal(rec, `${MARKER}|${PERSON}`)
          .slice(0, -1 - r.int(5)),
        `c2.${Buffer.from(PERSON).toString('base64url')}`,
        `c1.${'A'.repeat(5000)}`,
        '',
      ]);
      return { name: 'bad cursor', data: get(`${rows(rec)}?cursor=${encodeURIComponent(cursor)}`, auth(rec)) };
    },
    () => {
      const rec = recipient();
      const limit = r.pick(['0', '-1', '1001', '1e3', '', ' 5', '5.0', '0x10', 'NaN', 'Infinity', '99999999999999999999', MARKER, '01']);
      return { name: 'bad limit', data: get(`${rows(rec)}?limit=${encodeURIComponent(limit)}&q=${MARKER}`, auth(rec)) };
    },
    () => ({ name: 'limit twice', data: get(`${rows('sbb-stagemarkt')}?limit=1&limit=2&m=${MARKER}`, auth('sbb-stagemarkt')) }),
    () => {
      const y = 1000 + r.int(9000);
      const date = r.pick([
        '2026-13-45',
        '2026-02-30',
        '2025-02-29',
        '2100-02-29',
        `${y}-${String(13 + r.int(87)).padStart(2, '0')}-01`,
        `${y}-02-${30 + r.int(70)}`,
        `${y}-04-31`,
        `${y}-01-00`,
        '2026-1-1',
        '26-01-01',
        '2026/01/01',
        '2026-01-01T00:00:00Z',
        '+2026-01-01',
        ' 2026-01-01',
        PERSON,
        MARKER,
        '',
      ]);
      return {
        name: 'bad peildatum',
        data: get(`${rows('ggd-jeugdgezondheid')}?peildatum=${encodeURIComponent(date)}&x=${MARKER}`, auth('ggd-jeugdgezondheid')),
      };
    },
    () => ({
      name: 'peildatum twice',
      data: get(`${rows('ggd-jeugdgezondheid')}?peildatum=2026-01-01&peildatum=2026-01-02`, auth('ggd-jeugdgezondheid')),
    }),
    () => {
      const rec = recipient();
      return { name: 'NUL in query', data: get(`${rows(rec)}?${r.pick(['brin', MARKER, 'a%00b'])}=${MARKER}%00${PERSON}`, auth(rec)) };
    },
    () => ({ name: 'empty parameter name', data: get(`${rows('svb-kostendelersnorm')}?=${MARKER}`, auth('svb-kostendelersnorm')) }),
    // pipelined: a request without a token and garbage on one connection
    () => ({ name: 'request then garbage', data: `${get('/v1/sbb-stagemarkt/rows?limit=1')}${MARKER}\x00\x01${PERSON}\r\n\r\n` }),
  ];
}

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

describe(`the read API under hostile input (seed ${SEED}, ${CASES} cases)`, () => {
  it('answers every malformed request with a 4xx problem that does not repeat it, and keeps serving', async () => {
    const r = seededRandom(SEED);
    const makers = generators(r);
    const cases = Array.from({ length: CASES }, () => r.pick(makers)());
    const failures: string[] = [];
    const seen = new Map<string, number>();
    let answered = 0;

    const check = (c: Case, responses: RawResponse[]) => {
      for (const response of responses) {
        answered += 1;
        seen.set(`${c.name} ${response.status}`, (seen.get(`${c.name} ${response.status}`) ?? 0) + 1);
        const problem = (() => {
          try {
            return JSON.parse(response.body);
          } catch {
            return undefined;
          }
        })();
        const ok =
          response.status >= 400 &&
          response.status < 500 &&
          response.headers['content-type'] === 'application/problem+json' &&
          problem?.status === response.status &&
          typeof problem?.type === 'string' &&
          typeof problem?.title === 'string' &&
          typeof problem?.detail === 'string' &&
          !response.body.includes(MARKER) &&
          !response.body.includes(PERSON);
        if (!ok)
          failures.push(`${c.name}: ${response.status} ${response.body.slice(0, 200)} for ${JSON.stringify(String(c.data).slice(0, 120))}`);
      }
    };

    // a few connections at a time, like a busy client would
    for (let i = 0; i < cases.length; i += 8) {
      const batch = cases.slice(i, i + 8);
      const results = await Promise.all(batch.map((c) => rawExchange(api.port, c.data).catch((error: Error) => error)));
      results.forEach((result, j) => {
        const c = batch[j] as Case;
        if (result instanceof Error) failures.push(`${c.name}: ${result.message}`);
        else check(c, result);
      });
    }

    expect(failures).toEqual([]);
    // most cases got an answer (a socket closed before a request started may get none)
    expect(answered).toBeGreaterThan(CASES * 0.9);
    const health = await fetch(`${api.url}/health`);
    expect(health.status).toBe(200);
    const rows = await fetch(`${api.url}/v1/sbb-stagemarkt/rows?limit=1`, { headers: { authorization: `Bearer ${TOKENS.stagemarkt}` } });
    expect(rows.status).toBe(200);
    if (process.env.FUZZ_VERBOSE) process.stdout.write(`${[...seen].sort().join('\n')}\n`);
  });
});
