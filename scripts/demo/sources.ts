/**
 * Where the demo's figures come from, over HTTP on 127.0.0.1: each service's /metrics on its health port,
 * and the Stagemarkt rows through the read API with S-BB's own token. A source that does not answer is
 * shown as such; it never ends the demo.
 */

import type { Stage } from './pipeline-figures.ts';
import { applyRead, type RowsPage, type StagemarktMirror } from './stagemarkt-mirror.ts';

const TIMEOUT_MS = 3000;

/** Each stage's /metrics text, or undefined for a service that did not answer. */
export async function readMetricsPages(ports: Record<Stage, number>): Promise<Record<Stage, string | undefined>> {
  const read = async (port: number) => {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      return response.ok ? await response.text() : undefined;
    } catch {
      return undefined;
    }
  };
  const [ingest, pseudonymise, deliver] = await Promise.all([read(ports.ingest), read(ports.pseudonymise), read(ports.deliver)]);
  return { ingest, pseudonymise, deliver };
}

export class ApiError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

const PAGE_LIMIT = 1000;

/**
 * Reads the Stagemarkt rows into the mirror: everything the first time (and after the API forgot the
 * point, 410, as after a restart of deliver), afterwards only what changed since the previous read.
 */
export function createStagemarktReader({ api, token }: { api: string; token: string }) {
  let since: string | undefined;

  async function pages(changedSince: string | undefined): Promise<RowsPage[]> {
    const read: RowsPage[] = [];
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(PAGE_LIMIT) });
      if (cursor) query.set('cursor', cursor);
      if (changedSince) query.set('changedSince', changedSince);
      let response: Response;
      try {
        response = await fetch(`${api}/v1/sbb-stagemarkt/rows?${query}`, {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch {
        throw new ApiError(`no answer from ${api}`);
      }
      if (!response.ok) throw new ApiError(`${api}/v1/sbb-stagemarkt/rows answered HTTP ${response.status}`, response.status);
      const page = (await response.json()) as RowsPage;
      read.push(page);
      cursor = page.next;
    } while (cursor);
    return read;
  }

  return {
    /**
     * The mirror after one more read, and how many rows changed or left since the previous read ('all'
     * for a full read); `at` is the time to note on the rows it saw change.
     */
    async read(mirror: StagemarktMirror, at: number): Promise<{ mirror: StagemarktMirror; changes: number | 'all' }> {
      if (since !== undefined) {
        try {
          const changed = await pages(since);
          // the token of the first page: a row that changed while the later pages were read comes again
          since = changed[0]?.changes ?? since;
          const changes = changed.reduce((sum, page) => sum + page.rows.length + (page.removed?.length ?? 0), 0);
          return { mirror: applyRead(mirror, changed, { full: false, at }), changes };
        } catch (error) {
          if (!(error instanceof ApiError && error.status === 410)) throw error;
        }
      }
      const all = await pages(undefined);
      since = all[0]?.changes;
      return { mirror: applyRead(mirror, all, { full: true, at }), changes: 'all' };
    },
  };
}
