/**
 * GGD school doctor visits: per school (brin, brin vestiging, locatiecode MBO) the students under 18 with
 * the fields the agreement allows (agreements/ggd-jeugdgezondheid.yaml). A pure fold over the GGD's
 * records. Row key "<brin>|<brinVestiging>|<locatiecodeMbo>" (an absent part is empty, e.g. "25LX|25LX01|");
 * a school without students is a tombstone.
 *
 * Who a student is: the GGD gets a record, with the BSN (or onderwijsnummer) and name, only about a student
 * under 18 on the date of the change and on the date of delivery (agreements/ggd-jeugdgezondheid.yaml,
 * recordWhen); about an older student it gets nothing at all. So students are listed and matched by nummer,
 * and they leave the lists on their 18th birthday by the horizon below (no record says so).
 *
 * Matching is per institution: the GGD's records carry no inschrijvingsvolgnummer (not in the agreement),
 * so a student is listed at most once per brin, at the school of their newest record there. A change that
 * names another vestiging or location moves them; an InschrijvingBeeindigd or -Verwijderd removes them
 * from wherever they are listed at that brin. Two enrolments of one student at one brin at the same time
 * cannot be told apart: the newest record decides (adding inschrijvingsvolgnummer to the agreement would
 * lift this).
 *
 * Order: each (brin, nummer) is last-writer-wins by version (version.ts). A removal is remembered (its
 * version) in memory only, not in the rows: in the feed it would keep the BSN of a child who left a school
 * in that school's list. So after a rebuild from the feed, a late older record of a student who left could
 * list them again. A removal is forgotten when the student turns 18: the age rule keeps them out from then.
 *
 * The horizon: the latest date the projection knows has come, the newest of the dates of its records
 * (occurredOn) and of the sweeps (deliver runs one on a timer, against today). Whenever it moves on, everyone 18 or older on it leaves the lists, and no one 18 or older
 * on it is listed again. Taking the newest date of all records makes the rows independent of the order the
 * records came in. The horizon is not in the rows: after a load the edge sweeps with today before applying.
 */

import type { GgdRecord } from '@register-feeds/contracts';
import type { EpochDay, Leerweg, Naam, Sector } from '@register-feeds/register-model';
import { isAdultOn } from './age.ts';
import { checksumOf } from './canonical-json.ts';
import { type Change, changeList, type Projection, sortedEntries } from './projection.ts';
import { ggdShape } from './row-shapes.ts';
import { compareVersions, isNewer, type Version, versionOf } from './version.ts';

export const RECIPIENT = 'ggd-jeugdgezondheid';

// a GGD record as decoded with its Avro schema: the recipient contract's shape, which pseudonymise writes;
// pseudonymise delivers one only about a student under 18 on the date of the change and of delivery
export type { GgdRecord } from '@register-feeds/contracts';

export interface GgdStudent {
  nummer: string;
  naam: Naam | null;
  geboortedatum: EpochDay;
  sector: Sector;
  leerweg: Leerweg | null;
  leerjaar: number | null;
  groep: number | null;
  /** the record this entry is from */
  version: Version;
}

export interface GgdRow {
  brin: string;
  brinVestiging: string | null;
  locatiecodeMbo: string | null;
  /** sorted by nummer; never empty (a school without students is a tombstone) */
  students: GgdStudent[];
}

interface School {
  brin: string;
  brinVestiging: string | null;
  locatiecodeMbo: string | null;
  students: Map<string, GgdStudent>;
}

interface Departure {
  version: Version;
  geboortedatum: EpochDay;
}

export interface GgdState {
  schools: Map<string, School>;
  /** "<brin>|<nummer>" to the key of the school where the student is listed */
  placements: Map<string, string>;
  /** "<brin>|<nummer>" of a student who left that brin: the removal's version (memory only, see above) */
  departures: Map<string, Departure>;
  /** birth date to the "<brin>|<nummer>" listed or departed, so a sweep only looks at those old enough */
  byBirth: Map<EpochDay, Set<string>>;
  /** the latest date known to have come (see above); null until the first record or sweep */
  horizon: EpochDay | null;
}

export function schoolKey(brin: string, brinVestiging: string | null, locatiecodeMbo: string | null): string {
  return `${brin}|${brinVestiging ?? ''}|${locatiecodeMbo ?? ''}`;
}

const placementId = (brin: string, nummer: string) => `${brin}|${nummer}`;

/** 18 years are at least 18 * 365 + 4 days: anyone born later than this many days before a date is under 18. */
const MIN_DAYS_IN_18_YEARS = 18 * 365 + 4;

export function emptyState(): GgdState {
  return { schools: new Map(), placements: new Map(), departures: new Map(), byBirth: new Map(), horizon: null };
}

function indexBirth(state: GgdState, birth: EpochDay, id: string): void {
  const ids = state.byBirth.get(birth) ?? new Set<string>();
  ids.add(id);
  state.byBirth.set(birth, ids);
}

function unindexBirth(state: GgdState, birth: EpochDay, id: string): void {
  const ids = state.byBirth.get(birth);
  ids?.delete(id);
  if (ids?.size === 0) state.byBirth.delete(birth);
}

/** Takes a student off the list they are on at that brin, if any. */
function unplace(state: GgdState, id: string, touched: Set<string>): void {
  const key = state.placements.get(id);
  if (key === undefined) return;
  state.placements.delete(id);
  const school = state.schools.get(key);
  const nummer = id.slice(id.indexOf('|') + 1);
  const student = school?.students.get(nummer);
  if (school === undefined || student === undefined) return;
  school.students.delete(nummer);
  unindexBirth(state, student.geboortedatum, id);
  if (school.students.size === 0) state.schools.delete(key);
  touched.add(key);
}

function forgetDeparture(state: GgdState, id: string): void {
  const departure = state.departures.get(id);
  if (departure === undefined) return;
  state.departures.delete(id);
  unindexBirth(state, departure.geboortedatum, id);
}

/** Everyone 18 or older on the day leaves the lists, and their removals are forgotten. */
function removeAdults(state: GgdState, day: EpochDay, touched: Set<string>): void {
  for (const [birth, ids] of [...state.byBirth]) {
    if (day - birth < MIN_DAYS_IN_18_YEARS || !isAdultOn(birth, day)) continue;
    for (const id of [...ids]) {
      unplace(state, id, touched);
      forgetDeparture(state, id);
    }
  }
}

/** Moves the horizon on to the day, if later, and applies the age rule there. */
function advance(state: GgdState, day: EpochDay, touched: Set<string>): void {
  if (state.horizon !== null && day <= state.horizon) return;
  state.horizon = day;
  removeAdults(state, day, touched);
}

function changesOf(state: GgdState, touched: Set<string>): Change<GgdRow>[] {
  return changeList(new Map([...touched].map((key) => [key, rowOf(state.schools.get(key))] as const)));
}

function rowOf(school: School | undefined): GgdRow | null {
  if (school === undefined || school.students.size === 0) return null;
  const { brin, brinVestiging, locatiecodeMbo } = school;
  return { brin, brinVestiging, locatiecodeMbo, students: sortedEntries([...school.students]).map(([, student]) => student) };
}

export function apply(state: GgdState, record: GgdRecord): Change<GgdRow>[] {
  const touched = new Set<string>();
  advance(state, record.occurredOn, touched);
  applyStudent(state, record, record.persoon.nummer, touched);
  return changesOf(state, touched);
}

function applyStudent(state: GgdState, record: GgdRecord, nummer: string, touched: Set<string>): void {
  const version = versionOf(record);
  const { brin, brinVestiging, locatiecodeMbo, leerweg, leerjaar, groep } = record.inschrijving;
  const id = placementId(brin, nummer);
  const listedAt = state.placements.get(id);
  const listed = listedAt === undefined ? undefined : state.schools.get(listedAt)?.students.get(nummer);
  if (!isNewer(version, listed?.version, state.departures.get(id)?.version)) return;

  unplace(state, id, touched);
  forgetDeparture(state, id);
  const { naam, geboortedatum } = record.persoon;
  // A late record from before the 18th birthday: the age rule keeps them off, no removal to remember.
  if (state.horizon !== null && isAdultOn(geboortedatum, state.horizon)) return;
  indexBirth(state, geboortedatum, id);
  if (record.eventType === 'InschrijvingBeeindigd' || record.eventType === 'InschrijvingVerwijderd') {
    state.departures.set(id, { version, geboortedatum });
    return;
  }
  const key = schoolKey(brin, brinVestiging, locatiecodeMbo);
  const school = state.schools.get(key) ?? { brin, brinVestiging, locatiecodeMbo, students: new Map<string, GgdStudent>() };
  school.students.set(nummer, { nummer, naam, geboortedatum, sector: record.sector, leerweg, leerjaar, groep, version });
  state.schools.set(key, school);
  state.placements.set(id, key);
  touched.add(key);
}

/**
 * Removes every student who is 18 or older on the reference date (today in production; turning 18 on
 * that very day counts). Deterministic for a given date. The horizon only moves forward: a sweep with an
 * earlier date than one before it changes nothing.
 */
export function sweep(state: GgdState, referenceEpochDay: EpochDay): Change<GgdRow>[] {
  const touched = new Set<string>();
  advance(state, referenceEpochDay, touched);
  return changesOf(state, touched);
}

/**
 * The rows as they stand on a date, without changing the state: the students under 18 on that date. For
 * reading a list on a reference date between sweeps; a date before the horizon cannot bring back anyone
 * who already left.
 */
export function rowsOn(state: GgdState, referenceEpochDay: EpochDay): [string, GgdRow][] {
  return rows(state).flatMap(([key, row]): [string, GgdRow][] => {
    const students = row.students.filter((student) => !isAdultOn(student.geboortedatum, referenceEpochDay));
    return students.length === 0 ? [] : [[key, { ...row, students }]];
  });
}

export function load(state: GgdState, key: string, row: GgdRow | null): void {
  const previous = state.schools.get(key);
  for (const nummer of previous?.students.keys() ?? []) {
    const id = placementId(previous!.brin, nummer);
    if (state.placements.get(id) === key) unplace(state, id, new Set());
  }
  state.schools.delete(key);
  if (row === null) return;
  const students = new Map(row.students.map((student) => [student.nummer, student] as const));
  state.schools.set(key, { brin: row.brin, brinVestiging: row.brinVestiging, locatiecodeMbo: row.locatiecodeMbo, students });
  for (const student of row.students) {
    const id = placementId(row.brin, student.nummer);
    const other = state.placements.get(id);
    const otherStudent = other === undefined ? undefined : state.schools.get(other)?.students.get(student.nummer);
    // A feed never lists one student twice at a brin; should it, the newer entry is the one apply moves.
    if (otherStudent !== undefined && compareVersions(otherStudent.version, student.version) > 0) continue;
    state.placements.set(id, key);
    indexBirth(state, student.geboortedatum, id);
  }
}

export function rows(state: GgdState): [string, GgdRow][] {
  return sortedEntries([...state.schools.keys()].map((key) => [key, rowOf(state.schools.get(key))!] as [string, GgdRow]));
}

export function checksum(state: GgdState): string {
  return checksumOf(rows(state));
}

export function size(state: GgdState): number {
  return state.schools.size;
}

export interface GgdProjection extends Projection<GgdRow, GgdState, GgdRecord> {
  sweep(state: GgdState, referenceEpochDay: EpochDay): Change<GgdRow>[];
  rowsOn(state: GgdState, referenceEpochDay: EpochDay): [string, GgdRow][];
}

export const ggd: GgdProjection = {
  recipient: RECIPIENT,
  emptyState,
  apply,
  load,
  rows,
  checksum,
  size,
  shape: ggdShape,
  sweep,
  rowsOn,
};
