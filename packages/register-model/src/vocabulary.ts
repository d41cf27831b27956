/**
 * The register's own vocabulary: event types, sectors, leerwegen. Raw contract and canonical event share it.
 */

export const INSCHRIJVING_EVENT_TYPES = [
  'InschrijvingGeregistreerd',
  'InschrijvingGewijzigd',
  'InschrijvingBeeindigd',
  'InschrijvingVerwijderd',
] as const;
export const BPV_EVENT_TYPES = ['BpvGeregistreerd', 'BpvGewijzigd', 'BpvBeeindigd', 'BpvVerwijderd'] as const;
export const EVENT_TYPES = [...INSCHRIJVING_EVENT_TYPES, ...BPV_EVENT_TYPES] as const;
export const SECTORS = ['PO', 'VO', 'MBO'] as const;
export const LEERWEGEN = ['BOL', 'BBL'] as const;

export type InschrijvingEventType = (typeof INSCHRIJVING_EVENT_TYPES)[number];
export type BpvEventType = (typeof BPV_EVENT_TYPES)[number];
export type EventType = (typeof EVENT_TYPES)[number];
export type Sector = (typeof SECTORS)[number];
export type Leerweg = (typeof LEERWEGEN)[number];
