import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, TOKENS } from './api.test-support.ts';
import { createEtagger, noneMatch } from './etag.ts';

// Incremental polling on a real socket: a weak ETag on every row answer, 304 without a body while the
// rows stay, 200 with a new tag once they change.

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ stagemarktRows: 30 });
});
afterAll(() => api.close());

async function get(path: string, ifNoneMatch?: string) {
  const response = await fetch(`${api.url}${path}`, {
    headers: { authorization: `Bearer ${TOKENS.stagemarkt}`, ...(ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {}) },
  });
  return {
    status: response.status,
    etag: response.headers.get('etag'),
    type: response.headers.get('content-type'),
    body: await response.text(),
  };
}

describe('ETag and If-None-Match', () => {
  it('answers 304 without a body while the page is the same, and 200 with a new tag once a row changed', async () => {
    const first = await get('/v1/sbb-stagemarkt/rows?limit=10');
    expect(first.status).toBe(200);
    expect(first.etag).toMatch(/^W\/"[A-Za-z0-9_-]{27}"$/);
    const again = await get('/v1/sbb-stagemarkt/rows?limit=10', first.etag!);
    expect(again).toEqual({ status: 304, etag: first.etag, type: null, body: '' });
    // weak comparison: the tag without W/, or among others, matches too; * matches anything
    expect((await get('/v1/sbb-stagemarkt/rows?limit=10', `"other", ${first.etag!.slice(2)}`)).status).toBe(304);
    expect((await get('/v1/sbb-stagemarkt/rows?limit=10', '*')).status).toBe(304);
    expect((await get('/v1/sbb-stagemarkt/rows?limit=10', 'W/"other"')).status).toBe(200);

    api.loadStagemarkt('v1.pseudonym0002|25LX|A2|1', { kind: 'bpv', brin: '25LX', status: 'beeindigd', bpvVolgnummer: 1 });
    api.bumpStagemarkt();
    const changed = await get('/v1/sbb-stagemarkt/rows?limit=10', first.etag!);
    expect(changed.status).toBe(200);
    expect(changed.body).toContain('beeindigd');
    expect(changed.etag).not.toBe(first.etag);
    expect((await get('/v1/sbb-stagemarkt/rows?limit=10', changed.etag!)).status).toBe(304);
  });

  it('gives the same tag to two answers whose cursors differ in bytes only (weak), and another to another page', async () => {
    const a = await get('/v1/sbb-stagemarkt/rows?limit=5');
    const b = await get('/v1/sbb-stagemarkt/rows?limit=5');
    expect(JSON.parse(a.body).next).not.toBe(JSON.parse(b.body).next); // sealed anew each time
    expect(a.etag).toBe(b.etag);
    const next = await get(`/v1/sbb-stagemarkt/rows?limit=5&cursor=${encodeURIComponent(JSON.parse(a.body).next)}`);
    expect(next.etag).not.toBe(a.etag);
    // a filter that keeps other rows, another tag
    expect((await get('/v1/sbb-stagemarkt/rows?limit=5&brin=30AB')).etag).not.toBe(a.etag);
  });

  it('tags one row too', async () => {
    const key = encodeURIComponent('v1.pseudonym0004|25LX|A4|1');
    const one = await get(`/v1/sbb-stagemarkt/rows/${key}`);
    expect(one.status).toBe(200);
    expect((await get(`/v1/sbb-stagemarkt/rows/${key}`, one.etag!)).status).toBe(304);
    // a tag of another answer does not match
    expect((await get(`/v1/sbb-stagemarkt/rows/${key}`, (await get('/v1/sbb-stagemarkt/rows')).etag!)).status).toBe(200);
  });

  it('keys the tag: not a plain hash of the content, and different per recipient and per secret', () => {
    const tag = createEtagger(['a-secret']);
    expect(tag('svb', '[]')).not.toBe(tag('ggd', '[]'));
    expect(tag('svb', '[]')).not.toBe(createEtagger(['another-secret'])('svb', '[]'));
    expect(tag('svb', '[]')).toBe(createEtagger(['a-secret'])('svb', '[]'));
    expect(noneMatch(undefined, tag('svb', '[]'))).toBe(false);
  });
});
