import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GGD_SCHOOL, get, rawExchange, startTestApi, type TestApi, TOKENS } from './api.test-support.ts';
import { createCursorCodec } from './cursor.ts';

// The real read API server over a real socket, with in-memory projections (no Kafka): what each kind of
// request gets back, errors as RFC 9457 problems that never repeat the input.

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi(); // today: 2026-03-01
});
afterAll(() => api.close());

async function call(path: string, token?: string, init: RequestInit = {}) {
  const response = await fetch(`${api.url}${path}`, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) },
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, type, headers: response.headers, text, body: type.includes('json') ? JSON.parse(text) : text };
}

function expectProblem(
  result: { status: number; type: string; body: Record<string, unknown>; text: string },
  status: number,
  ...forbidden: string[]
) {
  expect(result.status).toBe(status);
  expect(result.type).toBe('application/problem+json');
  expect(Object.keys(result.body).sort()).toEqual(['detail', 'status', 'title', 'type']);
  expect(result.body.status).toBe(status);
  expect(result.body.type).toMatch(/^tag:register-feeds,2026:problem:[a-z-]+$/);
  for (const text of forbidden) expect(result.text).not.toContain(text);
}

type GgdStudents = { students: Array<{ nummer: string }> };

describe('the read API', () => {
  it('answers a malformed request target with a 400 problem and goes on serving (it used to stop on GET http://[)', async () => {
    for (const target of ['http://[', 'http://[::1', 'ftp://x/health', '*', 'mailto:someone']) {
      const [response] = await rawExchange(api.port, get(target));
      expect(response?.status, target).toBe(400);
      expect(response?.headers['content-type']).toBe('application/problem+json');
      // node's parser refuses some before a request exists (bad-request), the API the rest (bad-request-target)
      expect(JSON.parse(response!.body).type).toMatch(/^tag:register-feeds,2026:problem:bad-request(-target)?$/);
    }
    expect((await call('/health')).status).toBe(200);
  });

  it('accepts the absolute form of a good target', async () => {
    const [response] = await rawExchange(api.port, get('http://127.0.0.1/health'));
    expect(response?.status).toBe(200);
  });

  it('refuses a target over 8 KiB with 414 and headers over 16 KiB with 431, both as problems', async () => {
    const [long] = await rawExchange(api.port, get(`/v1/sbb-stagemarkt/rows?brin=${'a'.repeat(9000)}`));
    expect(long?.status).toBe(414);
    expect(JSON.parse(long!.body).detail).not.toContain('aaaa');
    const [huge] = await rawExchange(api.port, get('/health', { 'x-filler': 'b'.repeat(20_000) }));
    expect(huge?.status).toBe(431);
    expect(huge?.headers['content-type']).toBe('application/problem+json');
    expect(huge!.body).not.toContain('bbbb');
  });

  it('answers bytes that are not HTTP, and bad methods, with problems', async () => {
    const [garbage] = await rawExchange(api.port, '\x00\x01\x02 nonsense 123456782\r\n\r\n');
    expect(garbage?.status).toBe(400);
    expect(garbage!.body).not.toContain('123456782');
    const [badMethod] = await rawExchange(api.port, 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(badMethod?.status).toBe(400);
    const post = await call('/health', undefined, { method: 'POST', body: 'x' });
    expectProblem(post, 405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const [connect] = await rawExchange(api.port, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n');
    expect(connect?.status).toBe(405);
    const [noHost] = await rawExchange(api.port, 'GET /health HTTP/1.1\r\n\r\n');
    expect(noHost?.status).toBe(400);
    expect(noHost?.headers['content-type']).toBe('application/problem+json');
    const [expect417] = await rawExchange(api.port, get('/health', { expect: 'teapot' }));
    expect(expect417?.status).toBe(417);
    expect(expect417?.headers['content-type']).toBe('application/problem+json');
  });

  it('serves HEAD like GET without a body', async () => {
    const response = await fetch(`${api.url}/health`, { method: 'HEAD' });
    expect(response.status).toBe(200);
  });

  describe('who may read what', () => {
    const refusals = {
      'no token': undefined,
      'an unknown token': 'x'.repeat(32),
      'another recipient’s token': TOKENS.svb,
      'the admin token': TOKENS.admin,
    };
    it.each(Object.entries(refusals))('answers %s with the same 401 problem', async (_, token) => {
      const result = await call('/v1/sbb-stagemarkt/rows', token);
      expectProblem(result, 401);
      expect(result.headers.get('www-authenticate')).toBe('Bearer realm="register-feeds"');
      expect(result.body).toEqual((await call('/v1/sbb-stagemarkt/rows')).body);
    });

    it('does not say whether a recipient exists: an unknown one is the same 401', async () => {
      const unknown = await call('/v1/nobody-at-all/rows', TOKENS.stagemarkt);
      const known = await call('/v1/svb-kostendelersnorm/rows', TOKENS.stagemarkt);
      expectProblem(unknown, 401);
      expect(unknown.body).toEqual(known.body);
      // with its own token a recipient learns that it has no projection here
      expectProblem(await call('/v1/ocw-minister/rows', 'ocw-token-0123456789abcdef'), 404);
    });

    it('lets a recipient read its own rows', async () => {
      const result = await call('/v1/sbb-stagemarkt/rows?limit=2', TOKENS.stagemarkt);
      expect(result.status).toBe(200);
      expect(result.body.rows).toHaveLength(2);
      expect(result.headers.get('cache-control')).toBe('no-store');
    });
  });

  describe('health and readiness; no metrics on the API port', () => {
    it('has no /metrics, whoever asks: a 404 problem without a figure (deliver’s metrics are on DELIVER_HEALTH_PORT)', async () => {
      for (const token of [undefined, TOKENS.stagemarkt, TOKENS.admin, 'y'.repeat(40)]) {
        const result = await call('/metrics', token);
        expectProblem(result, 404);
        expect(result.text).not.toContain('recipient');
        expect(result.text).not.toMatch(/deliver_|register_feeds_|# TYPE/);
      }
    });

    it('/health and /ready say only that the service lives', async () => {
      expect((await call('/health')).body).toEqual({ status: 'ok' });
      expect((await call('/ready')).body).toEqual({ status: 'ready' });
    });
  });

  describe('paging, filters, rows', () => {
    it('pages with opaque cursors to the end', async () => {
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        const result = await call(
          `/v1/sbb-stagemarkt/rows?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          TOKENS.stagemarkt,
        );
        expect(result.status).toBe(200);
        keys.push(...result.body.rows.map((r: { key: string }) => r.key));
        cursor = result.body.next;
        if (cursor) expect(cursor).toMatch(/^c1\.[A-Za-z0-9_-]+$/);
      } while (cursor);
      expect(keys).toHaveLength(250);
      expect(new Set(keys).size).toBe(250);
    });

    it('filters by field', async () => {
      const result = await call('/v1/sbb-stagemarkt/rows?brin=30AB&limit=1000', TOKENS.stagemarkt);
      expect(result.body.rows).toHaveLength(125);
      const svb = await call('/v1/svb-kostendelersnorm/rows?brin=25LX', TOKENS.svb);
      expect(svb.body.rows).toHaveLength(1);
    });

    it('seals cursors: they show nothing of the key, and one that was changed, cut, forged or is another recipient’s is refused', async () => {
      const first = await call('/v1/sbb-stagemarkt/rows?limit=2', TOKENS.stagemarkt);
      const cursor: string = first.body.next;
      const lastKey: string = first.body.rows[1].key;
      expect(cursor).not.toContain('pseudonym');
      expect(Buffer.from(cursor.slice(3), 'base64url').toString('latin1')).not.toContain('pseudonym');
      const next = await call(`/v1/sbb-stagemarkt/rows?limit=2&cursor=${cursor}`, TOKENS.stagemarkt);
      expect(next.body.rows[0].key > lastKey).toBe(true);

      const flipped = `${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}`;
      const forged = createCursorCodec(['some-other-secret-0123456789']).seal('sbb-stagemarkt', lastKey);
      const svbCursor = (await call('/v1/svb-kostendelersnorm/rows?limit=1', TOKENS.svb)).body.next;
      expect(svbCursor).toBeUndefined(); // one row: no next page; another recipient's cursor is made here instead
      const others = createCursorCodec([TOKENS.stagemarkt, TOKENS.svb, TOKENS.ggd, 'ocw-token-0123456789abcdef']).seal(
        'svb-kostendelersnorm',
        lastKey,
      );
      for (const bad of [flipped, cursor.slice(0, -2), forged, others, `${cursor}&cursor=${cursor}`, 'c1.%%%', lastKey]) {
        const result = await call(
          `/v1/sbb-stagemarkt/rows?limit=2&cursor=${bad.includes('&') ? bad : encodeURIComponent(bad)}`,
          TOKENS.stagemarkt,
        );
        expectProblem(result, 400, 'pseudonym');
        expect(result.body.type).toBe('tag:register-feeds,2026:problem:bad-cursor');
      }
    });

    it.each([
      ['limit 0', 'limit=0', 400],
      ['limit 1001', 'limit=1001', 400],
      ['limit 1e3', 'limit=1e3', 400],
      ['limit -1', 'limit=-1', 400],
      ['limit empty', 'limit=', 400],
      ['limit twice', 'limit=1&limit=2', 400],
      ['a NUL in a filter', 'brin=25%00LX', 400],
      ['bad percent-encoding', 'brin=%E0%A4%A', 400],
      ['a lone percent', 'brin=25%', 400],
    ])('refuses %s with a 400 problem that does not repeat it', async (_, query, status) => {
      const result = await call(`/v1/sbb-stagemarkt/rows?${query}`, TOKENS.stagemarkt);
      expectProblem(result, status, 'pseudonym0001', '25LX');
    });

    it('keeps its sorted rows while the replica’s version stays, and reads them again once it moves', async () => {
      const key = 'v1.zz-cache|25LX|Z1|1';
      const row = async () => (await call(`/v1/sbb-stagemarkt/rows/${encodeURIComponent(key)}`, TOKENS.stagemarkt)).body;
      api.loadStagemarkt(key, { kind: 'bpv', brin: '25LX', status: 'actueel', bpvVolgnummer: 1 });
      api.bumpStagemarkt();
      expect((await row()).row.status).toBe('actueel');
      api.loadStagemarkt(key, { kind: 'bpv', brin: '25LX', status: 'beeindigd', bpvVolgnummer: 1 });
      expect((await row()).row.status).toBe('actueel'); // the same version: the rows sorted before
      api.bumpStagemarkt();
      expect((await row()).row.status).toBe('beeindigd');
      api.loadStagemarkt(key, null);
      api.bumpStagemarkt();
      expect((await call(`/v1/sbb-stagemarkt/rows/${encodeURIComponent(key)}`, TOKENS.stagemarkt)).status).toBe(404);
    });

    it('finds one row by key, and refuses a key with bad percent-encoding', async () => {
      const key = 'v1.pseudonym0001|25LX|A1|1';
      const found = await call(`/v1/sbb-stagemarkt/rows/${encodeURIComponent(key)}`, TOKENS.stagemarkt);
      expect(found.body.key).toBe(key);
      expectProblem(await call('/v1/svb-kostendelersnorm/rows/123456782', TOKENS.svb), 404, '123456782');
      expectProblem(await call('/v1/sbb-stagemarkt/rows/%E0%A4%A', TOKENS.stagemarkt), 400);
      expectProblem(await call('/v1/sbb-stagemarkt/rows/%C0%AF', TOKENS.stagemarkt), 400);
      expectProblem(await call('/v1/sbb-stagemarkt/rows/a%00b', TOKENS.stagemarkt), 400);
    });

    it('answers an unknown path with a 404 problem', async () => {
      expectProblem(await call('/v2/sbb-stagemarkt/rows'), 404);
      expectProblem(await call('/v1/sbb-stagemarkt/rows/a/b', TOKENS.stagemarkt), 404);
    });
  });

  describe('GGD lists on a peildatum', () => {
    const students = async (query: string) => {
      const result = await call(`/v1/ggd-jeugdgezondheid/rows${query}`, TOKENS.ggd);
      expect(result.status).toBe(200);
      return (result.body.rows as Array<{ row: GgdStudents }>).flatMap((r) => r.row.students.map((s) => s.nummer)).sort();
    };

    it.each([
      '2026-13-45',
      '2026-02-30',
      '2025-02-29',
      '2026-2-3',
      '20260301',
      '2026-03-01T00:00:00Z',
      'today',
      '2026-00-10',
    ])('refuses peildatum=%s with a 400 problem that does not repeat it', async (peildatum) => {
      const result = await call(`/v1/ggd-jeugdgezondheid/rows?peildatum=${encodeURIComponent(peildatum)}`, TOKENS.ggd);
      expectProblem(result, 400, peildatum);
      expect(result.body.type).toBe('tag:register-feeds,2026:problem:bad-peildatum');
    });

    it('accepts an existing date, 29 February of a leap year included', async () => {
      expect(await students('?peildatum=2028-02-29')).toEqual(['222222220']);
      expect(await students('?peildatum=2026-06-14')).toEqual(['111111110', '222222220']);
      expect(await students('?peildatum=2026-06-15')).toEqual(['222222220']);
    });

    it('the single-row read of a school follows the same date rule', async () => {
      const result = await call(`/v1/ggd-jeugdgezondheid/rows/${encodeURIComponent(GGD_SCHOOL)}?peildatum=2026-06-15`, TOKENS.ggd);
      expect((result.body.row as GgdStudents).students.map((s) => s.nummer)).toEqual(['222222220']);
    });
  });
});
