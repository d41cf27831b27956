/**
 * SVB kostendelersnorm: per person (BSN, or onderwijsnummer for a student without one) the enrolments
 * with their begin and end dates, current and past (agreements/svb-kostendelersnorm.yaml). A pure fold
 * over the SVB's records. Row key: persoon.nummer, the key the SVB's records already have.
 *
 * Each enrolment is last-writer-wins by version (version.ts): the newest record of it decides, so the
 * rows do not depend on the order the records came in. An InschrijvingVerwijderd removes the enrolment
 * and leaves a removal (its version) in the row's `verwijderd`, so an older record of that enrolment that
 * arrives later does not bring it back.
 *
 * The rows are the whole state. Nothing lives in memory only: load(rows(state)) gives the same state
 * back, so a restart anywhere (the state rebuilt from the feed, then the records after it) ends with the
 * same rows and checksum as a run without one (svb-restart.unit.spec.ts, every split point of seeded
 * arrival orders). Until issue 12 the removals of a person without enrolments lived in memory only (a
 * tombstone carries no value): after a restart a late older record brought a removed enrolment back.
 *
 * Why such a removal stays in the feed, under the person's number, although the person has no enrolment
 * left to report:
 * - It must be in the feed. With nothing of the person there, a restart between a removal and an older
 *   record of the same enrolment lists that enrolment as current; without the restart the rows must say
 *   the same, so the order of arrival would decide, and a removed enrolment (mostly one registered in
 *   error) would stay current for the SVB for ever, as no newer record of it comes. That order is not
 *   exotic: the register writes the raw topic unkeyed, one person's events spread over its partitions,
 *   and ingest can publish a removal before the registration it removes.
 * - It cannot be under another key. What lets a later record find the removal is computed from the
 *   person number, and without a secret (deliver has none to key it with) anyone can compute it for every
 *   one of the 10^8 BSNs: an unkeyed hash of a BSN is the BSN (../shared/DOMAIN.md, rule 1). Nor without
 *   the number: brin and inschrijvingsvolgnummer alone are the same for other students.
 * - It is the minimum. The row keeps `enrolments` empty and in `verwijderd` only what refusing a late
 *   record needs (brin, inschrijvingsvolgnummer, the removal's version), all from the removal record the
 *   SVB received itself, which DUO keeps on the SVB's recipient topic for the agreement's retention anyway.
 * - It is not kept for ever. A removal is remembered for REMOVAL_MEMORY_DAYS, the agreement's retention,
 *   after the day it happened, counted on the horizon: the newest occurredOn the rows hold. Once the
 *   horizon is that far past it, the removal leaves the row, and a row left with neither enrolments nor
 *   removals is a tombstone. The horizon is in the rows too: the newest record always leaves its version
 *   there (as an enrolment, or as a removal, which the horizon it set cannot have aged out), and a refused
 *   record is never newer than the version that refused it. It counts the records' dates, not the clock,
 *   so the rows follow from the records alone (like the GGD's horizon); while no SVB record comes it
 *   stands still, and a removal outlives its record on the recipient topic by that long.
 *
 * The price: an older record of a removed enrolment that arrives when the horizon is already
 * REMOVAL_MEMORY_DAYS past the removal brings the enrolment back, as a record of an enrolment never seen
 * does. Within that window the rows do not depend on the arrival order, nor on restarts ever.
 */

import type { SvbRecord } from '@register-feeds/contracts';
import type { EpochDay, IdentificatieSoort, Sector } from '@register-feeds/register-model';
import { checksumOf } from './canonical-json.ts';
import { type Change, changeList, type Projection, sortedEntries } from './projection.ts';
import { svbShape } from './row-shapes.ts';
import { isNewer, type Version, versionOf } from './version.ts';

export const RECIPIENT = 'svb-kostendelersnorm';

/**
 * How long a removal is remembered after the day it happened, in days of the horizon: the retention of
 * agreements/svb-kostendelersnorm.yaml (tested), as long as DUO keeps the removal record itself.
 */
export const REMOVAL_MEMORY_DAYS = 365;

// an SVB record as decoded with its Avro schema: the recipient contract's shape, which pseudonymise writes
export type { SvbRecord } from '@register-feeds/contracts';

export interface SvbEnrolment {
  brin: string;
  inschrijvingsvolgnummer: string;
  sector: Sector;
  /** date of enrolment (datum inschrijving) */
  begindatum: EpochDay;
  /** date of de-enrolment (datum uitschrijving); null while it runs */
  einddatum: EpochDay | null;
  /** the record this enrolment is from */
  version: Version;
}

/** A removed enrolment, kept so an older record of it cannot bring it back (for REMOVAL_MEMORY_DAYS). */
export interface SvbRemoval {
  brin: string;
  inschrijvingsvolgnummer: string;
  version: Version;
}

export interface SvbRow {
  nummer: string;
  soort: IdentificatieSoort;
  /** sorted by brin, then inschrijvingsvolgnummer; empty only while verwijderd is not (see the top of this file) */
  enrolments: SvbEnrolment[];
  /** sorted like enrolments; a row with neither is a tombstone */
  verwijderd: SvbRemoval[];
}

interface Person {
  nummer: string;
  soort: IdentificatieSoort;
  enrolments: Map<string, SvbEnrolment>;
  removals: Map<string, SvbRemoval>;
}

export interface SvbState {
  /** one per row: never a person with neither enrolments nor removals */
  persons: Map<string, Person>;
  /** the newest occurredOn of a version in the rows (null: no rows yet); never goes back */
  horizon: EpochDay | null;
  /**
   * Per day, the persons who had a removal of that day: which rows to look at when the horizon moves on.
   * An index only (derived from the rows); an entry may be stale (the removal was superseded since).
   */
  removalDays: Map<EpochDay, Set<string>>;
}

const enrolmentId = (brin: string, inschrijvingsvolgnummer: string) => `${brin}|${inschrijvingsvolgnummer}`;

export function emptyState(): SvbState {
  return { persons: new Map(), horizon: null, removalDays: new Map() };
}

const byId = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : a > b ? 1 : 0);

function rowOf(person: Person): SvbRow | null {
  if (person.enrolments.size === 0 && person.removals.size === 0) return null;
  return {
    nummer: person.nummer,
    soort: person.soort,
    enrolments: [...person.enrolments].sort(byId).map(([, enrolment]) => enrolment),
    verwijderd: [...person.removals].sort(byId).map(([, removal]) => removal),
  };
}

/** The last day a removal is forgotten on, with the horizon where it is; null: none. */
const forgottenThrough = (horizon: EpochDay | null): EpochDay | null => (horizon === null ? null : horizon - REMOVAL_MEMORY_DAYS);

const isRemembered = (removal: Version, horizon: EpochDay | null) => {
  const through = forgottenThrough(horizon);
  return through === null || removal.occurredOn > through;
};

function indexRemoval(state: SvbState, nummer: string, removal: SvbRemoval): void {
  const day = removal.version.occurredOn;
  const persons = state.removalDays.get(day) ?? new Set<string>();
  persons.add(nummer);
  state.removalDays.set(day, persons);
}

/** True when the horizon moved on. */
function raiseHorizon(state: SvbState, occurredOn: EpochDay): boolean {
  if (state.horizon !== null && occurredOn <= state.horizon) return false;
  state.horizon = occurredOn;
  return true;
}

/** Drops the removals the horizon has aged out; the numbers of the persons whose rows changed. */
function forgetAgedRemovals(state: SvbState): string[] {
  const through = forgottenThrough(state.horizon);
  if (through === null) return [];
  const changed: string[] = [];
  for (const [day, nummers] of state.removalDays) {
    if (day > through) continue;
    state.removalDays.delete(day);
    for (const nummer of nummers) {
      const person = state.persons.get(nummer);
      if (person === undefined) continue;
      for (const [id, removal] of person.removals) {
        if (removal.version.occurredOn <= through) {
          person.removals.delete(id);
          changed.push(nummer);
        }
      }
    }
  }
  return changed;
}

export function apply(state: SvbState, record: SvbRecord): Change<SvbRow>[] {
  const version = versionOf(record);
  const { nummer, soort } = record.persoon;
  const { brin, inschrijvingsvolgnummer, begindatum, einddatum } = record.inschrijving;
  const id = enrolmentId(brin, inschrijvingsvolgnummer);
  const existing = state.persons.get(nummer);
  if (!isNewer(version, existing?.enrolments.get(id)?.version, existing?.removals.get(id)?.version)) return [];

  const person: Person = existing ?? { nummer, soort, enrolments: new Map(), removals: new Map() };
  if (record.eventType === 'InschrijvingVerwijderd') {
    const listed = person.enrolments.delete(id);
    if (isRemembered(version, state.horizon)) {
      const removal = { brin, inschrijvingsvolgnummer, version };
      person.removals.set(id, removal);
      indexRemoval(state, nummer, removal);
    } else if (!listed) {
      return []; // aged out on arrival (it would be forgotten at once) and nothing to remove: no change
    }
  } else {
    person.removals.delete(id);
    person.enrolments.set(id, { brin, inschrijvingsvolgnummer, sector: record.sector, begindatum, einddatum, version });
  }
  state.persons.set(nummer, person);
  const horizonMoved = raiseHorizon(state, version.occurredOn);

  const changes = new Map<string, SvbRow | null>();
  for (const key of new Set([nummer, ...(horizonMoved ? forgetAgedRemovals(state) : [])])) {
    const row = rowOf(state.persons.get(key)!);
    if (row === null) state.persons.delete(key);
    // A person with neither enrolments nor removals had a row before (a removal never seen would have
    // been remembered, or refused above): the feed needs its tombstone.
    changes.set(key, row);
  }
  return changeList(changes);
}

export function load(state: SvbState, key: string, row: SvbRow | null): void {
  state.persons.delete(key); // its stale entries in removalDays are skipped when their day comes
  if (row === null) return; // the horizon stays: the rows still there hold its newest date (see the top of this file)
  const enrolments = new Map(row.enrolments.map((e) => [enrolmentId(e.brin, e.inschrijvingsvolgnummer), e] as const));
  const removals = new Map(row.verwijderd.map((r) => [enrolmentId(r.brin, r.inschrijvingsvolgnummer), r] as const));
  if (enrolments.size === 0 && removals.size === 0) return;
  state.persons.set(key, { nummer: row.nummer, soort: row.soort, enrolments, removals });
  for (const enrolment of row.enrolments) raiseHorizon(state, enrolment.version.occurredOn);
  for (const removal of row.verwijderd) {
    raiseHorizon(state, removal.version.occurredOn);
    indexRemoval(state, key, removal);
  }
}

export function rows(state: SvbState): [string, SvbRow][] {
  return sortedEntries([...state.persons].map(([nummer, person]) => [nummer, rowOf(person)!] as [string, SvbRow]));
}

export function checksum(state: SvbState): string {
  return checksumOf(rows(state));
}

export function size(state: SvbState): number {
  return state.persons.size;
}

export const svb: Projection<SvbRow, SvbState, SvbRecord> = {
  recipient: RECIPIENT,
  emptyState,
  apply,
  load,
  rows,
  checksum,
  size,
  shape: svbShape,
};
