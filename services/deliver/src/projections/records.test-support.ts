/**
 * For unit tests only: real recipient records, made the way the pipeline makes them. A raw register event
 * (docs/raw-input-contract.md) is parsed and normalised as ingest does, then minimised for one recipient
 * by pseudonymise's applyAgreement with the reviewed agreements and test keys. Never imported by service code.
 */

import { normalise, parseRegisterEvent } from '@register-feeds/ingest';
import { applyAgreement, createKeyStore, generateTestKeys, loadAgreements } from '@register-feeds/pseudonymise';
import type { RegisterEvent, Sector } from '@register-feeds/register-model';
import { testBsn } from '../../../../test/support/raw-events.ts';

const agreements = loadAgreements(new URL('../../../../agreements', import.meta.url).pathname);
const keys = createKeyStore(generateTestKeys(agreements.map((a) => a.recipient)));
/** Inside every agreement's term; records are delivered on the day of their change, or on this day if later. */
const TERM_STARTED = Date.UTC(2025, 7, 1, 12);

export const BSN = testBsn(1);
export const OTHER_BSN = testBsn(2);

const INSCHRIJVING: Record<Sector, Record<string, unknown>> = {
  MBO: {
    brin: '25LX',
    locatiecodeMbo: 'LOC01',
    inschrijvingsvolgnummer: 'A1',
    opleidingscode: '25180',
    leerweg: 'BBL',
    niveau: 3,
    begindatum: '2025-08-01',
  },
  VO: {
    brin: '25LX',
    brinVestiging: '25LX01',
    inschrijvingsvolgnummer: 'V1',
    opleidingscode: '2790',
    leerjaar: 5,
    begindatum: '2025-08-01',
  },
  PO: {
    brin: '99XA',
    brinVestiging: '99XA01',
    inschrijvingsvolgnummer: '1',
    opleidingscode: '1000',
    leerjaar: 3,
    groep: 3,
    begindatum: '2025-08-01',
  },
};

const BPV = {
  bpvVolgnummer: 1,
  leerbedrijf: { id: 'LB1000', naam: 'Leerbedrijf BV' },
  begindatum: '2025-09-01',
  geplandeEinddatum: '2026-06-30',
  omvangUren: 400,
};

export interface RawOptions {
  eventId: string;
  eventType: RegisterEvent['eventType'];
  /** the date of the change, YYYY-MM-DD (09:00 Amsterdam time) */
  on: string;
  sector?: Sector;
  bsn?: string;
  onderwijsnummer?: string;
  geboortedatum?: string;
  /** merged over the sector's default enrolment; undefined leaves a field out */
  inschrijving?: Record<string, unknown>;
  /** merged over a default BPV for Bpv* events (BpvVerwijderd: replaces it) */
  bpv?: Record<string, unknown>;
}

/** A raw register event as the register would send it. */
export function rawEvent(options: RawOptions): Record<string, unknown> {
  const sector = options.sector ?? 'MBO';
  const isBpv = options.eventType.startsWith('Bpv');
  const number = options.onderwijsnummer === undefined ? { bsn: options.bsn ?? BSN } : { onderwijsnummer: options.onderwijsnummer };
  return {
    eventId: options.eventId,
    eventType: options.eventType,
    occurredAt: `${options.on}T09:00:00+01:00`,
    sector,
    persoon: { ...number, geboortedatum: options.geboortedatum ?? '2007-05-14', naam: { voornamen: 'Test', achternaam: 'Persoon' } },
    inschrijving: { ...INSCHRIJVING[sector], ...options.inschrijving },
    ...(isBpv ? { bpv: options.eventType === 'BpvVerwijderd' ? { bpvVolgnummer: 1, ...options.bpv } : { ...BPV, ...options.bpv } } : {}),
  };
}

/** The canonical event ingest would publish; throws with the refusal reasons when the raw event is invalid. */
export function canonical(raw: Record<string, unknown>): RegisterEvent {
  const parsed = parseRegisterEvent(JSON.stringify(raw));
  if (!parsed.ok) throw new Error(`invalid raw test event: ${JSON.stringify(parsed.reasons)}`);
  return normalise(parsed.event);
}

/** The record the recipient gets for the event, as its Avro schema decodes it; throws when it gets none. */
export function recordFor<Rec>(recipient: string, options: RawOptions): Rec {
  const agreement = agreements.find((a) => a.recipient === recipient);
  if (agreement === undefined) throw new Error(`no agreement ${recipient}`);
  const now = Math.max(TERM_STARTED, Date.parse(`${options.on}T12:00:00Z`));
  const result = applyAgreement(canonical(rawEvent(options)), agreement, keys.keyFor(recipient), now);
  if (result === null) throw new Error(`${recipient} gets no record for ${options.eventId}`);
  return result.record as Rec;
}

/** Every order of the items (n! of them: keep n small). */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}
