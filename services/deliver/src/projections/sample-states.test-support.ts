/**
 * For unit tests only: states of the three projection kinds folded from real recipient records
 * (records.test-support.ts), with every row variant and every nullable part both set and null: BPVs
 * actueel, beeindigd and verwijderd, enrolment rows, an SVB person with a removal only, GGD schools of PO,
 * VO and MBO students. Never imported by service code.
 */

import type { GgdRecord, StagemarktRecord, SvbRecord } from '@register-feeds/contracts';
import { ggd } from './ggd.ts';
import { BSN, OTHER_BSN, type RawOptions, recordFor } from './records.test-support.ts';
import { stagemarkt } from './stagemarkt.ts';
import { svb } from './svb.ts';

const stagemarktRecords: RawOptions[] = [
  { eventId: 's1', eventType: 'InschrijvingGeregistreerd', on: '2025-08-01' },
  { eventId: 's2', eventType: 'BpvGeregistreerd', on: '2025-08-20' },
  { eventId: 's3', eventType: 'BpvGeregistreerd', on: '2025-08-21', bpv: { bpvVolgnummer: 2 } },
  { eventId: 's4', eventType: 'BpvBeeindigd', on: '2026-01-10', bpv: { bpvVolgnummer: 2, werkelijkeEinddatum: '2026-01-10' } },
  {
    eventId: 's5',
    eventType: 'BpvGeregistreerd',
    on: '2025-09-01',
    bsn: OTHER_BSN,
    inschrijving: { inschrijvingsvolgnummer: 'B7', leerweg: 'BOL', niveau: 4 },
    bpv: { codeKeuzedeel: 'K0123', opleidingscodeBpv: '25181' },
  },
  { eventId: 's6', eventType: 'BpvVerwijderd', on: '2025-09-03', bsn: OTHER_BSN, inschrijving: { inschrijvingsvolgnummer: 'B7' } },
  // the removal of a BPV never registered: no details at all (leerbedrijf and dates null)
  { eventId: 's9', eventType: 'BpvVerwijderd', on: '2025-10-01', bpv: { bpvVolgnummer: 3 } },
  { eventId: 's7', eventType: 'InschrijvingGeregistreerd', on: '2025-08-01', inschrijving: { inschrijvingsvolgnummer: 'C3' } },
  { eventId: 's8', eventType: 'InschrijvingVerwijderd', on: '2025-08-05', inschrijving: { inschrijvingsvolgnummer: 'C3' } },
];

const svbRecords: RawOptions[] = [
  { eventId: 'v1', eventType: 'InschrijvingGeregistreerd', on: '2025-08-01' },
  {
    eventId: 'v2',
    eventType: 'InschrijvingGeregistreerd',
    on: '2025-08-01',
    inschrijving: { brin: '30AB', inschrijvingsvolgnummer: 'A2' },
  },
  {
    eventId: 'v3',
    eventType: 'InschrijvingBeeindigd',
    on: '2026-01-31',
    inschrijving: { brin: '30AB', inschrijvingsvolgnummer: 'A2', einddatum: '2026-01-31' },
  },
  { eventId: 'v4', eventType: 'InschrijvingGeregistreerd', on: '2025-08-02', bsn: OTHER_BSN, sector: 'VO' },
  { eventId: 'v5', eventType: 'InschrijvingVerwijderd', on: '2025-08-03', bsn: OTHER_BSN, sector: 'VO' },
  { eventId: 'v6', eventType: 'InschrijvingGeregistreerd', on: '2025-08-04', onderwijsnummer: '101000012', sector: 'PO' },
];

const ggdRecords: RawOptions[] = [
  { eventId: 'g1', eventType: 'InschrijvingGeregistreerd', on: '2025-08-01', sector: 'VO', geboortedatum: '2010-03-04' },
  { eventId: 'g2', eventType: 'InschrijvingGeregistreerd', on: '2025-08-01', sector: 'PO', bsn: OTHER_BSN, geboortedatum: '2017-11-30' },
  {
    eventId: 'g3',
    eventType: 'InschrijvingGeregistreerd',
    on: '2025-08-01',
    sector: 'MBO',
    onderwijsnummer: '101000012',
    geboortedatum: '2009-12-01',
  },
];

export function sampleStates() {
  const s = stagemarkt.emptyState();
  for (const r of stagemarktRecords) stagemarkt.apply(s, recordFor<StagemarktRecord>('sbb-stagemarkt', r));
  const v = svb.emptyState();
  for (const r of svbRecords) svb.apply(v, recordFor<SvbRecord>('svb-kostendelersnorm', r));
  const g = ggd.emptyState();
  for (const r of ggdRecords) ggd.apply(g, recordFor<GgdRecord>('ggd-jeugdgezondheid', r));
  return { stagemarkt: s, svb: v, ggd: g };
}

export { BSN, OTHER_BSN };
