/**
 * S-BB Stagemarkt: one row per BPV (internship), with the enrolment it belongs to, in the fields the
 * agreement allows (agreements/sbb-stagemarkt.yaml). A pure fold over S-BB's records.
 *
 * Two row kinds share the feed:
 * - a BPV row, key "<pseudonym>|<brin>|<inschrijvingsvolgnummer>|<bpvVolgnummer>";
 * - an enrolment row, key "inschrijving|<pseudonym>|<brin>|<inschrijvingsvolgnummer>", which holds the
 *   enrolment fields, so a BPV that starts after its enrolment's last change still gets them, and the
 *   enrolment's versions, so the state can be rebuilt from the feed alone. Pseudonyms start with
 *   "v<key version>.", so the prefix cannot collide with a BPV key.
 *
 * Each row is made of parts that different records update, each with the version of its last change
 * (version.ts): the enrolment fields and leeftijd (any newer record of the enrolment: every record carries
 * the enrolment as it was then), the BPV details (a newer BpvGeregistreerd, -Gewijzigd or -Beeindigd) and
 * the removal (a newer BpvVerwijderd or InschrijvingVerwijderd). The enrolment part's version is kept in
 * the enrolment row only: in every BPV row it would change each BPV row of the enrolment at each record,
 * where now a BPV row changes only when something in it does. The status follows from the parts, so the
 * final rows do not depend on the order the records came in: verwijderd when the newest removal is newer
 * than the newest details, otherwise beeindigd once there is an actual end date, otherwise actueel.
 * A removed BPV stays, with its last known details, so S-BB learns that it was removed.
 */

import type { Leerbedrijf, StagemarktRecord } from '@register-feeds/contracts';
import type { EpochDay, Leerweg } from '@register-feeds/register-model';
import { checksumOf } from './canonical-json.ts';
import { type Change, changeList, type Projection, putRow, sortedEntries } from './projection.ts';
import { stagemarktShape } from './row-shapes.ts';
import { isNewer, newestVersion, type Version, versionOf } from './version.ts';

export const RECIPIENT = 'sbb-stagemarkt';

// an S-BB record as decoded with its Avro schema: the recipient contract's shape, which pseudonymise writes
export type { Leerbedrijf, StagemarktRecord } from '@register-feeds/contracts';

export type BpvStatus = 'actueel' | 'beeindigd' | 'verwijderd';
/**
 * S-BB does not receive the enrolment's end date, so an enrolment is only actueel or verwijderd: an
 * InschrijvingBeeindigd followed by an InschrijvingGewijzigd could not say whether it still has ended.
 */
export type InschrijvingStatus = 'actueel' | 'verwijderd';

/** The enrolment fields, the same in an enrolment row and in each of its BPV rows. */
export interface InschrijvingFields {
  pseudonym: string;
  /** the age on the date of the newest record of the enrolment (the agreement's one age); null: not born then */
  leeftijd: number | null;
  brin: string;
  inschrijvingsvolgnummer: string;
  opleidingscode: string;
  /** leerweg, in S-BB's word */
  leertraject: Leerweg | null;
  niveau: number | null;
  locatiecodeMbo: string | null;
}

export interface StagemarktInschrijvingRow extends InschrijvingFields {
  kind: 'inschrijving';
  status: InschrijvingStatus;
  /** the newest record of the enrolment, of any kind: the enrolment fields and leeftijd are its */
  version: Version;
  /** the newest InschrijvingGeregistreerd, -Gewijzigd or -Beeindigd; null when none came yet */
  presentVersion: Version | null;
  /** the newest InschrijvingVerwijderd; null when none came */
  removedVersion: Version | null;
}

export interface StagemarktBpvRow extends InschrijvingFields {
  kind: 'bpv';
  bpvVolgnummer: number;
  leerbedrijf: Leerbedrijf | null;
  opleidingscodeBpv: string | null;
  codeKeuzedeel: string | null;
  begindatum: EpochDay | null;
  geplandeEinddatum: EpochDay | null;
  werkelijkeEinddatum: EpochDay | null;
  omvangUren: number | null;
  status: BpvStatus;
  /** the newest record with the BPV's details (registered, changed, ended); null when only a removal is known */
  version: Version | null;
  /** the newest removal: the BPV's own BpvVerwijderd or its enrolment's InschrijvingVerwijderd */
  removedVersion: Version | null;
}

export type StagemarktRow = StagemarktInschrijvingRow | StagemarktBpvRow;

export interface StagemarktState {
  inschrijvingen: Map<string, StagemarktInschrijvingRow>;
  bpvs: Map<string, StagemarktBpvRow>;
  /** enrolment row key to the keys of its BPV rows */
  bpvKeysOf: Map<string, Set<string>>;
}

const INSCHRIJVING_PREFIX = 'inschrijving|';

export function inschrijvingKey(pseudonym: string, brin: string, inschrijvingsvolgnummer: string): string {
  return `${INSCHRIJVING_PREFIX}${pseudonym}|${brin}|${inschrijvingsvolgnummer}`;
}

export function bpvKey(pseudonym: string, brin: string, inschrijvingsvolgnummer: string, bpvVolgnummer: number): string {
  return `${pseudonym}|${brin}|${inschrijvingsvolgnummer}|${bpvVolgnummer}`;
}

const enrolmentKeyOf = (row: InschrijvingFields) => inschrijvingKey(row.pseudonym, row.brin, row.inschrijvingsvolgnummer);

export function emptyState(): StagemarktState {
  return { inschrijvingen: new Map(), bpvs: new Map(), bpvKeysOf: new Map() };
}

type BpvDetails = Pick<
  StagemarktBpvRow,
  'leerbedrijf' | 'opleidingscodeBpv' | 'codeKeuzedeel' | 'begindatum' | 'geplandeEinddatum' | 'werkelijkeEinddatum' | 'omvangUren'
>;

function fieldsOfRecord(record: StagemarktRecord): InschrijvingFields {
  const { persoon, inschrijving } = record;
  return {
    pseudonym: persoon.pseudonym,
    // The agreement gives one age, on the date of the change; take the first should it ever list more.
    leeftijd: record.leeftijden[0]?.leeftijd ?? null,
    brin: inschrijving.brin,
    inschrijvingsvolgnummer: inschrijving.inschrijvingsvolgnummer,
    opleidingscode: inschrijving.opleidingscode,
    leertraject: inschrijving.leerweg,
    niveau: inschrijving.niveau,
    locatiecodeMbo: inschrijving.locatiecodeMbo,
  };
}

function fieldsOfRow(row: InschrijvingFields): InschrijvingFields {
  const { pseudonym, leeftijd, brin, inschrijvingsvolgnummer, opleidingscode, leertraject, niveau, locatiecodeMbo } = row;
  return { pseudonym, leeftijd, brin, inschrijvingsvolgnummer, opleidingscode, leertraject, niveau, locatiecodeMbo };
}

/** The BPV details of a record, or of a row (to carry them over). */
function detailsOf(source: BpvDetails): BpvDetails {
  const { leerbedrijf, opleidingscodeBpv, codeKeuzedeel, begindatum, geplandeEinddatum, werkelijkeEinddatum, omvangUren } = source;
  return {
    leerbedrijf: leerbedrijf === null ? null : { id: leerbedrijf.id, naam: leerbedrijf.naam },
    opleidingscodeBpv,
    codeKeuzedeel,
    begindatum,
    geplandeEinddatum,
    werkelijkeEinddatum,
    omvangUren,
  };
}

/** Removed while the newest removal is newer than the newest details (null counts as older than anything). */
const isRemoved = (removedVersion: Version | null, presentVersion: Version | null) =>
  removedVersion !== null && isNewer(removedVersion, presentVersion);

/** The same rule as bpvStatus in services/pseudonymise/src/output-fields.ts, over the parts of the row. */
function bpvStatus(details: BpvDetails, version: Version | null, removedVersion: Version | null): BpvStatus {
  if (isRemoved(removedVersion, version)) return 'verwijderd';
  return details.werkelijkeEinddatum === null ? 'actueel' : 'beeindigd';
}

function bpvRow(
  inschrijving: StagemarktInschrijvingRow,
  bpvVolgnummer: number,
  details: BpvDetails,
  version: Version | null,
  ownRemovedVersion: Version | null,
): StagemarktBpvRow {
  // An enrolment's removal removes its BPVs as well, unless a BPV record is newer than that removal.
  const removedVersion = newestVersion(ownRemovedVersion, inschrijving.removedVersion);
  return {
    kind: 'bpv',
    ...fieldsOfRow(inschrijving),
    bpvVolgnummer,
    ...details,
    status: bpvStatus(details, version, removedVersion),
    version,
    removedVersion,
  };
}

/** The enrolment part: fields from the newest record of any kind, the status from the Inschrijving* records. */
function nextInschrijving(
  previous: StagemarktInschrijvingRow | undefined,
  record: StagemarktRecord,
  version: Version,
): StagemarktInschrijvingRow {
  const isInschrijvingRecord = record.bpv === null;
  const removes = record.eventType === 'InschrijvingVerwijderd';
  const presentVersion =
    isInschrijvingRecord && !removes ? newestVersion(previous?.presentVersion, version) : (previous?.presentVersion ?? null);
  const removedVersion = removes ? newestVersion(previous?.removedVersion, version) : (previous?.removedVersion ?? null);
  return {
    kind: 'inschrijving',
    ...(previous === undefined || isNewer(version, previous.version) ? fieldsOfRecord(record) : fieldsOfRow(previous)),
    status: isRemoved(removedVersion, presentVersion) ? 'verwijderd' : 'actueel',
    version: newestVersion(previous?.version, version)!,
    presentVersion,
    removedVersion,
  };
}

function putBpv(state: StagemarktState, changes: Map<string, StagemarktRow | null>, key: string, row: StagemarktBpvRow): void {
  putRow(state.bpvs, changes, key, row);
  const enrolmentKey = enrolmentKeyOf(row);
  const keys = state.bpvKeysOf.get(enrolmentKey) ?? new Set<string>();
  keys.add(key);
  state.bpvKeysOf.set(enrolmentKey, keys);
}

/** The BPV part of a Bpv* record; nothing when it is not newer than what the row has. */
function applyBpv(
  state: StagemarktState,
  changes: Map<string, StagemarktRow | null>,
  inschrijving: StagemarktInschrijvingRow,
  record: StagemarktRecord,
  version: Version,
): void {
  const bpv = record.bpv;
  if (bpv === null) return;
  const key = bpvKey(inschrijving.pseudonym, inschrijving.brin, inschrijving.inschrijvingsvolgnummer, bpv.bpvVolgnummer);
  const previous = state.bpvs.get(key);
  if (record.eventType === 'BpvVerwijderd') {
    if (!isNewer(version, previous?.removedVersion)) return;
    // A removal's details are optional: use them only while no registered, changed or ended BPV came.
    const details = detailsOf(previous !== undefined && previous.version !== null ? previous : bpv);
    putBpv(state, changes, key, bpvRow(inschrijving, bpv.bpvVolgnummer, details, previous?.version ?? null, version));
    return;
  }
  if (!isNewer(version, previous?.version)) return;
  putBpv(state, changes, key, bpvRow(inschrijving, bpv.bpvVolgnummer, detailsOf(bpv), version, previous?.removedVersion ?? null));
}

export function apply(state: StagemarktState, record: StagemarktRecord): Change<StagemarktRow>[] {
  const version = versionOf(record);
  const changes = new Map<string, StagemarktRow | null>();
  const enrolmentKey = inschrijvingKey(record.persoon.pseudonym, record.inschrijving.brin, record.inschrijving.inschrijvingsvolgnummer);

  const inschrijving = nextInschrijving(state.inschrijvingen.get(enrolmentKey), record, version);
  putRow(state.inschrijvingen, changes, enrolmentKey, inschrijving);
  if (changes.has(enrolmentKey)) {
    // The enrolment fields or its removal changed: every BPV of the enrolment shows them.
    for (const key of state.bpvKeysOf.get(enrolmentKey) ?? []) {
      const row = state.bpvs.get(key)!;
      putBpv(state, changes, key, bpvRow(inschrijving, row.bpvVolgnummer, detailsOf(row), row.version, row.removedVersion));
    }
  }
  applyBpv(state, changes, inschrijving, record, version);
  return changeList(changes);
}

export function load(state: StagemarktState, key: string, row: StagemarktRow | null): void {
  if (key.startsWith(INSCHRIJVING_PREFIX)) {
    if (row === null) state.inschrijvingen.delete(key);
    else if (row.kind === 'inschrijving') state.inschrijvingen.set(key, row);
    return;
  }
  const previous = state.bpvs.get(key);
  if (previous !== undefined) state.bpvKeysOf.get(enrolmentKeyOf(previous))?.delete(key);
  if (row === null || row.kind !== 'bpv') {
    state.bpvs.delete(key);
    return;
  }
  putBpv(state, new Map(), key, row);
}

export function rows(state: StagemarktState): [string, StagemarktRow][] {
  return sortedEntries<StagemarktRow>([...state.inschrijvingen, ...state.bpvs]);
}

export function checksum(state: StagemarktState): string {
  return checksumOf(rows(state));
}

/** Enrolment rows and BPV rows together: the number of keys in the feed. */
export function size(state: StagemarktState): number {
  return state.inschrijvingen.size + state.bpvs.size;
}

export const stagemarkt: Projection<StagemarktRow, StagemarktState, StagemarktRecord> = {
  recipient: RECIPIENT,
  emptyState,
  apply,
  load,
  rows,
  checksum,
  size,
  shape: stagemarktShape,
};
