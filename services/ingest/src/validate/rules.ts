/**
 * Rules that relate fields to each other: one identifier per person, the vestiging of the BRIN, what a
 * sector allows, what an event type needs, dates in order. Each rule only looks at fields that passed
 * their own checks, so a malformed value gives one reason, not a cascade.
 */

import { BPV_EVENT_TYPES, type EventType, INSCHRIJVING_EVENT_TYPES, parseIsoDateTime, type Sector } from '@register-feeds/register-model';
import { vestigingBelongsToBrin } from './identifiers.ts';
import { type Reason, RULE, reason } from './reason.ts';
import { isPlainObject } from './shape.ts';

/** The payload as the rules see it, after the field checks. */
export interface EventView {
  /** The field is in the payload, whatever its value. */
  has(path: string): boolean;
  /** The field's value if it is present and passed its own checks (nor did any object around it fail). */
  valid<T>(path: string): T | undefined;
}

/** A dotted path as its names and as the paths of itself and every object around it; the rules use a few fixed paths. */
interface SplitPath {
  names: readonly string[];
  /** 'a', 'a.b', 'a.b.c' for 'a.b.c' */
  prefixes: readonly string[];
}
const splitPaths = new Map<string, SplitPath>();
function split(path: string): SplitPath {
  let found = splitPaths.get(path);
  if (found === undefined) {
    const names = path.split('.');
    found = { names, prefixes: names.map((_, i) => names.slice(0, i + 1).join('.')) };
    // paths come from the rules' code, not from payloads, so this stays as small as the rules
    splitPaths.set(path, found);
  }
  return found;
}

export function viewOf(root: Record<string, unknown>, fieldReasons: readonly Reason[]): EventView {
  // The view is asked some 30 times per event, so paths are split once per process, not per question,
  // and a payload without field reasons (nearly all of them) skips the failed-path lookup.
  const failed = new Set(fieldReasons.map((r) => r.field));
  const walk = ({ names }: SplitPath): unknown => {
    let current: unknown = root;
    for (const name of names) {
      if (!isPlainObject(current)) return undefined;
      current = current[name];
    }
    return current;
  };
  const failedItselfOrAround = ({ prefixes }: SplitPath): boolean => failed.size > 0 && prefixes.some((prefix) => failed.has(prefix));
  return {
    has: (path) => walk(split(path)) !== undefined,
    valid: <T>(path: string) => {
      const at = split(path);
      return failedItselfOrAround(at) ? undefined : (walk(at) as T | undefined);
    },
  };
}

export type CrossFieldRule = (view: EventView) => Reason[];

/** A person is identified by a BSN or, lacking one, an onderwijsnummer; never both, never neither. */
export const oneIdentifier: CrossFieldRule = (view) => {
  if (!isPlainObject(view.valid('persoon'))) return [];
  const count = Number(view.has('persoon.bsn')) + Number(view.has('persoon.onderwijsnummer'));
  return count === 1 ? [] : [reason('persoon', RULE.oneIdentifier, 'persoon must have exactly one of bsn and onderwijsnummer')];
};

export const vestigingOfBrin: CrossFieldRule = (view) => {
  const brin = view.valid<string>('inschrijving.brin');
  const vestiging = view.valid<string>('inschrijving.brinVestiging');
  if (brin === undefined || vestiging === undefined || vestigingBelongsToBrin(vestiging, brin)) return [];
  return [reason('inschrijving.brinVestiging', RULE.brinVestigingPrefix, 'inschrijving.brinVestiging must start with inschrijving.brin')];
};

// Which sectors may carry each sector-bound field of an inschrijving (GGD and Stagemarkt rely on it).
const SECTOR_FIELDS: Readonly<Record<string, readonly Sector[]>> = {
  leerjaar: ['PO', 'VO'],
  groep: ['PO'],
  leerweg: ['MBO'],
  niveau: ['MBO'],
  locatiecodeMbo: ['MBO'],
};

// as [field path, sectors, reason message], made once: the rule runs for every event
const SECTOR_FIELD_CHECKS = Object.entries(SECTOR_FIELDS).map(([name, sectors]) => {
  const field = `inschrijving.${name}`;
  return { field, sectors, only: `${field} is only allowed for ${sectors.join(' and ')}` };
});

export const sectorFields: CrossFieldRule = (view) => {
  const sector = view.valid<Sector>('sector');
  if (sector === undefined) return [];
  const reasons: Reason[] = [];
  for (const { field, sectors, only } of SECTOR_FIELD_CHECKS) {
    if (view.has(field) && !sectors.includes(sector)) reasons.push(reason(field, RULE.sectorField, `${only}, not ${sector}`));
  }
  const leerjaar = view.valid<number>('inschrijving.leerjaar');
  if (sector === 'VO' && leerjaar !== undefined && leerjaar > 6) {
    reasons.push(reason('inschrijving.leerjaar', RULE.range, 'inschrijving.leerjaar must be between 1 and 6 for VO'));
  }
  const opleidingscode = view.valid<string>('inschrijving.opleidingscode');
  if (sector === 'MBO' && opleidingscode !== undefined && opleidingscode.length !== 5) {
    reasons.push(
      reason(
        'inschrijving.opleidingscode',
        RULE.opleidingscodeFormat,
        'inschrijving.opleidingscode must be a crebo of exactly 5 digits for MBO',
      ),
    );
  }
  return reasons;
};

const isInschrijvingEvent = (type: EventType): boolean => (INSCHRIJVING_EVENT_TYPES as readonly string[]).includes(type);
const isBpvEvent = (type: EventType): boolean => (BPV_EVENT_TYPES as readonly string[]).includes(type);

// A BPV that is registered, changed or ended is described in full; a removal names only its number.
const FULL_BPV_FIELDS = ['bpv.leerbedrijf', 'bpv.begindatum', 'bpv.geplandeEinddatum', 'bpv.omvangUren'] as const;

function requires(view: EventView, field: string, eventType: string, why = ''): Reason[] {
  return view.has(field) ? [] : [reason(field, RULE.eventRequires, `${field} is required for ${eventType}${why}`)];
}

export const eventTypeFields: CrossFieldRule = (view) => {
  const eventType = view.valid<EventType>('eventType');
  if (eventType === undefined) return [];
  const sector = view.valid<Sector>('sector');
  const reasons: Reason[] = [];
  if (isInschrijvingEvent(eventType)) {
    if (view.has('bpv')) reasons.push(reason('bpv', RULE.eventForbids, `bpv is not allowed on ${eventType}`));
    // as for the bpv below: fields of an inschrijving that is not an object are not asked for (its type is the reason)
    const inschrijving = isPlainObject(view.valid('inschrijving'));
    if (eventType === 'InschrijvingBeeindigd' && inschrijving) reasons.push(...requires(view, 'inschrijving.einddatum', eventType));
    if (eventType === 'InschrijvingGeregistreerd' && sector === 'MBO' && inschrijving) {
      reasons.push(...requires(view, 'inschrijving.leerweg', eventType, ' in MBO'));
      reasons.push(...requires(view, 'inschrijving.niveau', eventType, ' in MBO'));
    }
  }
  if (isBpvEvent(eventType)) {
    if (sector !== undefined && sector !== 'MBO') reasons.push(reason('sector', RULE.eventSector, `sector must be MBO for ${eventType}`));
    if (!view.has('bpv')) {
      reasons.push(reason('bpv', RULE.eventRequires, `bpv is required for ${eventType}`));
    } else if (isPlainObject(view.valid('bpv')) && eventType !== 'BpvVerwijderd') {
      for (const field of FULL_BPV_FIELDS) reasons.push(...requires(view, field, eventType));
      if (eventType === 'BpvBeeindigd') reasons.push(...requires(view, 'bpv.werkelijkeEinddatum', eventType));
    }
  }
  return reasons;
};

// Valid YYYY-MM-DD strings compare like the dates they denote.
function notBefore(view: EventView, later: string, earlier: string): Reason[] {
  const end = view.valid<string>(later);
  const begin = view.valid<string>(earlier);
  if (end === undefined || begin === undefined || end >= begin) return [];
  return [reason(later, RULE.dateOrder, `${later} must not be before ${earlier}`)];
}

export const datesInOrder: CrossFieldRule = (view) => [
  ...notBefore(view, 'inschrijving.einddatum', 'inschrijving.begindatum'),
  ...notBefore(view, 'bpv.geplandeEinddatum', 'bpv.begindatum'),
  ...notBefore(view, 'bpv.werkelijkeEinddatum', 'bpv.begindatum'),
];

/** Nobody is enrolled before being born; compared with the calendar date of occurredAt as written. */
export const bornBeforeEvent: CrossFieldRule = (view) => {
  const geboortedatum = view.valid<string>('persoon.geboortedatum');
  const occurredAt = view.valid<string>('occurredAt');
  if (geboortedatum === undefined || occurredAt === undefined) return [];
  const parsed = parseIsoDateTime(occurredAt);
  if (!parsed.ok || geboortedatum <= parsed.localDate) return [];
  return [reason('persoon.geboortedatum', RULE.geboortedatumAfterEvent, 'persoon.geboortedatum must not be after occurredAt')];
};

export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  oneIdentifier,
  vestigingOfBrin,
  sectorFields,
  eventTypeFields,
  datesInOrder,
  bornBeforeEvent,
];

export function checkCrossFieldRules(root: Record<string, unknown>, fieldReasons: readonly Reason[]): Reason[] {
  const view = viewOf(root, fieldReasons);
  return CROSS_FIELD_RULES.flatMap((rule) => rule(view));
}
