/**
 * SVB kostendelersnorm: per person (BSN, or onderwijsnummer for a student without one) the enrolments
 * with their begin and end dates, current and past (agreements/svb-kostendelersnorm.yaml). A pure fold
 * over the SVB's records. Row key: persoon.nummer, the key the SVB's records already have.
 *
 * Each enrolment is last-writer-wins by version (version.ts): the newest record of it decides, so the
 * rows do not depend on the order the records came in. An InschrijvingVerwijderd removes the enrolment
 * and leaves a removal (its version) in the row's `verwijderd`, so an older record of that enrolment that
 * arrives later does not bring it back, also after a rebuild from the feed.
 *
 * When a person's last enrolment goes, the row becomes a tombstone, and a tombstone carries no value:
 * the removals of that person are then kept in memory only. They still refuse duplicates and late records
 * while the service runs; after a rebuild from the feed a late older record of a removed enrolment would
 * bring it back. The alternative, a row without enrolments kept for ever, would keep the BSN of someone
 * with nothing to report (perhaps never enrolled at all) in the SVB's feed.
 */

import type { EpochDay, IdentificatieSoort, Sector } from '@register-feeds/register-model';
import { checksumOf } from './canonical-json.ts';
import { type Change, type Projection, type RecordEnvelope, sortedEntries } from './projection.ts';
import { isNewer, type Version, versionOf } from './version.ts';

export const RECIPIENT = 'svb-kostendelersnorm';

/** An SVB record as decoded with its Avro schema (recipientSchema of the agreement). */
export interface SvbRecord extends RecordEnvelope {
  sector: Sector;
  persoon: { nummer: string; soort: IdentificatieSoort };
  inschrijving: { brin: string; inschrijvingsvolgnummer: string; begindatum: EpochDay; einddatum: EpochDay | null };
}

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

/** A removed enrolment, kept so an older record of it cannot bring it back. */
export interface SvbRemoval {
  brin: string;
  inschrijvingsvolgnummer: string;
  version: Version;
}

export interface SvbRow {
  nummer: string;
  soort: IdentificatieSoort;
  /** sorted by brin, then inschrijvingsvolgnummer; never empty (an empty row is a tombstone) */
  enrolments: SvbEnrolment[];
  /** sorted like enrolments */
  verwijderd: SvbRemoval[];
}

interface Person {
  nummer: string;
  soort: IdentificatieSoort;
  enrolments: Map<string, SvbEnrolment>;
}

export interface SvbState {
  persons: Map<string, Person>;
  /** per nummer, per enrolment id: outlives the person's row (see the top of this file) */
  removals: Map<string, Map<string, SvbRemoval>>;
}

const enrolmentId = (brin: string, inschrijvingsvolgnummer: string) => `${brin}|${inschrijvingsvolgnummer}`;

export function emptyState(): SvbState {
  return { persons: new Map(), removals: new Map() };
}

const byId = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : a > b ? 1 : 0);

function rowOf(state: SvbState, nummer: string): SvbRow | null {
  const person = state.persons.get(nummer);
  if (person === undefined || person.enrolments.size === 0) return null;
  return {
    nummer: person.nummer,
    soort: person.soort,
    enrolments: [...person.enrolments].sort(byId).map(([, enrolment]) => enrolment),
    verwijderd: [...(state.removals.get(nummer) ?? [])].sort(byId).map(([, removal]) => removal),
  };
}

export function apply(state: SvbState, record: SvbRecord): Change<SvbRow>[] {
  const version = versionOf(record);
  const { nummer, soort } = record.persoon;
  const { brin, inschrijvingsvolgnummer, begindatum, einddatum } = record.inschrijving;
  const id = enrolmentId(brin, inschrijvingsvolgnummer);
  const person = state.persons.get(nummer);
  const removals = state.removals.get(nummer) ?? new Map<string, SvbRemoval>();
  if (!isNewer(version, person?.enrolments.get(id)?.version, removals.get(id)?.version)) return [];

  const existed = person !== undefined;
  if (record.eventType === 'InschrijvingVerwijderd') {
    person?.enrolments.delete(id);
    removals.set(id, { brin, inschrijvingsvolgnummer, version });
    state.removals.set(nummer, removals);
  } else {
    removals.delete(id);
    if (removals.size === 0) state.removals.delete(nummer);
    const enrolments = person?.enrolments ?? new Map<string, SvbEnrolment>();
    enrolments.set(id, { brin, inschrijvingsvolgnummer, sector: record.sector, begindatum, einddatum, version });
    state.persons.set(nummer, { nummer, soort, enrolments });
  }

  const row = rowOf(state, nummer);
  if (row === null) {
    state.persons.delete(nummer);
    // A removal of an enrolment never seen leaves no row behind, and there was none: nothing to tell the feed.
    return existed ? [{ key: nummer, row: null }] : [];
  }
  return [{ key: nummer, row }];
}

export function load(state: SvbState, key: string, row: SvbRow | null): void {
  if (row === null) {
    state.persons.delete(key);
    state.removals.delete(key);
    return;
  }
  const enrolments = new Map(row.enrolments.map((e) => [enrolmentId(e.brin, e.inschrijvingsvolgnummer), e] as const));
  state.persons.set(key, { nummer: row.nummer, soort: row.soort, enrolments });
  const removals = new Map(row.verwijderd.map((r) => [enrolmentId(r.brin, r.inschrijvingsvolgnummer), r] as const));
  if (removals.size > 0) state.removals.set(key, removals);
  else state.removals.delete(key);
}

export function rows(state: SvbState): [string, SvbRow][] {
  return sortedEntries([...state.persons.keys()].map((nummer) => [nummer, rowOf(state, nummer)!] as [string, SvbRow]));
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
};
