/**
 * The demo's copy of the Stagemarkt projection as S-BB reads it through the API: a full read once, then
 * only what changed (`changedSince`, services/deliver/src/api/changes.ts), so each refresh costs what
 * changed, not the whole projection, and tells which rows changed most recently. Pure: pages in, a new
 * mirror out; the time of a read comes in as an argument. Keeps no pseudonym or key in what it shows.
 */

export const BPV_STATUSES = ['actueel', 'beeindigd', 'verwijderd'] as const;
export type BpvStatus = (typeof BPV_STATUSES)[number];

/** What the demo shows of a BPV row: nothing that points at a person (no pseudonym, no key, no age). */
export interface BpvLine {
  status: string;
  brin: string;
  opleidingscode: string;
  leerbedrijf: string | null;
  omvangUren: number | null;
  begindatum: string | null;
  einddatum: string | null;
}

export interface RecentChange {
  /** epoch ms of the read that saw it */
  at: number;
  /** the status before, for a row that was there already; undefined for a new row */
  was: string | undefined;
  line: BpvLine;
}

export interface StagemarktMirror {
  /** key -> the row as shown; BPV rows only */
  bpv: ReadonlyMap<string, BpvLine>;
  /** enrolment rows (kind inschrijving), counted only */
  enrolments: number;
  enrolmentKeys: ReadonlySet<string>;
  /** newest first */
  recent: readonly RecentChange[];
}

/** One page of GET /v1/sbb-stagemarkt/rows as far as the mirror reads it. */
export interface RowsPage {
  rows: { key: string; row: Record<string, unknown> }[];
  removed?: string[];
  next?: string;
  changes?: string;
}

export const RECENT_KEPT = 6;

export const emptyMirror = (): StagemarktMirror => ({ bpv: new Map(), enrolments: 0, enrolmentKeys: new Set(), recent: [] });

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function bpvLineOf(row: Record<string, unknown>): BpvLine {
  const leerbedrijf = row.leerbedrijf as { naam?: unknown } | null | undefined;
  return {
    status: text(row.status) ?? '?',
    brin: text(row.brin) ?? '?',
    opleidingscode: text(row.opleidingscode) ?? '?',
    leerbedrijf: text(leerbedrijf?.naam),
    omvangUren: typeof row.omvangUren === 'number' ? row.omvangUren : null,
    begindatum: text(row.begindatum),
    einddatum: text(row.werkelijkeEinddatum) ?? text(row.geplandeEinddatum),
  };
}

/** Which of one read's changes to show: status changes first, then other changes, then new rows, mixed over statuses. */
export function pickRecent(changes: readonly RecentChange[], max: number): RecentChange[] {
  const rank = (c: RecentChange) => (c.was === undefined ? 2 : c.was !== c.line.status ? 0 : 1);
  const byStatus = new Map<string, RecentChange[]>();
  for (const change of [...changes].sort((a, b) => rank(a) - rank(b))) {
    const list = byStatus.get(change.line.status) ?? [];
    list.push(change);
    byStatus.set(change.line.status, list);
  }
  // round robin over the statuses, each in rank order, so a batch of new rows does not hide the rest
  const picked: RecentChange[] = [];
  const lists = [...byStatus.values()];
  for (let i = 0; picked.length < max && lists.some((l) => i < l.length); i++) {
    for (const list of lists) {
      const change = list[i];
      if (change && picked.length < max) picked.push(change);
    }
  }
  return picked.sort((a, b) => rank(a) - rank(b));
}

/**
 * The mirror after one read: `full` (every page of a read without changedSince) replaces it; otherwise
 * the pages hold the rows that changed and the keys that left since the previous read.
 */
export function applyRead(mirror: StagemarktMirror, pages: readonly RowsPage[], read: { full: boolean; at: number }): StagemarktMirror {
  const bpv = new Map(read.full ? [] : mirror.bpv);
  const enrolmentKeys = new Set(read.full ? [] : mirror.enrolmentKeys);
  const changes: RecentChange[] = [];
  for (const page of pages) {
    for (const key of page.removed ?? []) {
      bpv.delete(key);
      enrolmentKeys.delete(key);
    }
    for (const { key, row } of page.rows) {
      if (row.kind !== 'bpv') {
        enrolmentKeys.add(key);
        continue;
      }
      const line = bpvLineOf(row);
      if (!read.full) changes.push({ at: read.at, was: mirror.bpv.get(key)?.status, line });
      bpv.set(key, line);
    }
  }
  const recent = changes.length > 0 ? [...pickRecent(changes, RECENT_KEPT), ...mirror.recent].slice(0, RECENT_KEPT) : mirror.recent;
  return { bpv, enrolments: enrolmentKeys.size, enrolmentKeys, recent };
}

/** BPV rows per status: the three of the contract first (0 when none), then any other the API serves. */
export function countByStatus(mirror: StagemarktMirror): [string, number][] {
  const counts = new Map<string, number>(BPV_STATUSES.map((s) => [s, 0]));
  for (const line of mirror.bpv.values()) counts.set(line.status, (counts.get(line.status) ?? 0) + 1);
  return [...counts.entries()];
}
