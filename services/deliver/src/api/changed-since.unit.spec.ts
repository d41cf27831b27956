import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, TOKENS } from './api.test-support.ts';

// changedSince on a real socket: a full read gives a `changes` token; asking with it gives only the rows
// changed since and the keys that left; a token of another instance is expired (410), a made-up one 400.

let api: TestApi;
let other: TestApi;
beforeAll(async () => {
  api = await startTestApi({ stagemarktRows: 12 });
  other = await startTestApi({ stagemarktRows: 12 });
});
afterAll(async () => {
  await api.close();
  await other.close();
});

type Page = { rows: Array<{ key: string; row: { status: string } }>; next?: string; removed?: string[]; changes?: string };

async function read(base: TestApi, query: string, token: string = TOKENS.stagemarkt) {
  const response = await fetch(`${base.url}/v1/sbb-stagemarkt/rows${query}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Page & { type?: string } };
}

const keyOf = (i: number) => `v1.pseudonym${String(i).padStart(4, '0')}|25LX|A${i}|1`;

describe('changedSince', () => {
  it('gives only what changed since a read, paged, and the keys that left', async () => {
    // a full read in pages: keep the first page's changes token
    const first = await read(api, '?limit=5');
    expect(first.body.changes).toMatch(/^c1\./);
    let next = first.body.next;
    while (next) next = (await read(api, `?limit=5&cursor=${encodeURIComponent(next)}`)).body.next;

    const nothing = await read(api, `?changedSince=${encodeURIComponent(first.body.changes!)}`);
    expect(nothing.body.rows).toEqual([]);
    expect(nothing.body.removed).toEqual([]);

    api.loadStagemarkt(keyOf(3), { kind: 'bpv', brin: '30AB', status: 'beeindigd', bpvVolgnummer: 1 });
    api.loadStagemarkt(keyOf(7), { kind: 'bpv', brin: '30AB', status: 'beeindigd', bpvVolgnummer: 1 });
    api.loadStagemarkt(keyOf(9), null);
    api.bumpStagemarkt();
    const since = await read(api, `?limit=1&changedSince=${encodeURIComponent(first.body.changes!)}`);
    expect(since.status).toBe(200);
    expect(since.body.rows.map((r) => r.key)).toEqual([keyOf(3)]);
    expect(since.body.removed).toEqual([keyOf(9)]);
    const rest = await read(
      api,
      `?limit=1&changedSince=${encodeURIComponent(first.body.changes!)}&cursor=${encodeURIComponent(since.body.next!)}`,
    );
    expect(rest.body.rows.map((r) => r.key)).toEqual([keyOf(7)]);
    expect(rest.body.next).toBeUndefined();

    // from the token of that read on: nothing new
    const later = await read(api, `?changedSince=${encodeURIComponent(since.body.changes!)}`);
    expect(later.body).toMatchObject({ rows: [], removed: [] });
  });

  it('refuses a token of another instance as expired (410), and one that is not a token (400)', async () => {
    const token = (await read(api, '')).body.changes!;
    const expired = await read(other, `?changedSince=${encodeURIComponent(token)}`);
    expect(expired.status).toBe(410);
    expect(expired.body.type).toBe('tag:register-feeds,2026:problem:changes-expired');
    expect((await read(api, '?changedSince=c1.madeup')).status).toBe(400);
    // a cursor is not a changes token, nor another recipient's token
    const cursor = (await read(api, '?limit=1')).body.next!;
    expect((await read(api, `?changedSince=${encodeURIComponent(cursor)}`)).status).toBe(400);
    expect((await read(api, `?changedSince=${encodeURIComponent(token)}&changedSince=${encodeURIComponent(token)}`)).status).toBe(400);
  });
});
