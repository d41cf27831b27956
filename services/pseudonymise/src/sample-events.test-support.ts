/**
 * For unit tests only: the ingest service's sample events as canonical events (parsed and normalised the
 * way ingest does), and the reviewed agreements. Imported by *.unit.spec.ts, never by service code.
 */

import { readFileSync } from 'node:fs';
import { normalise, parseRegisterEvent } from '@register-feeds/ingest';
import type { RegisterEvent } from '@register-feeds/register-model';
import type { Agreement } from './agreement.ts';
import { loadAgreements } from './load-agreements.ts';

export const sampleEvents: RegisterEvent[] = readFileSync(new URL('../../ingest/fixtures/sample-events.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const result = parseRegisterEvent(line);
    if (!result.ok) throw new Error(`sample does not parse: ${JSON.stringify(result.reasons)}`);
    return normalise(result.event);
  });

export const sample = (eventId: string): RegisterEvent => {
  const event = sampleEvents.find((e) => e.eventId === eventId);
  if (!event) throw new Error(`no sample ${eventId}`);
  return structuredClone(event);
};

export const agreements: Agreement[] = loadAgreements(new URL('../../../agreements/', import.meta.url).pathname);

export const agreement = (recipient: string): Agreement => {
  const found = agreements.find((a) => a.recipient === recipient);
  if (!found) throw new Error(`no agreement ${recipient}`);
  return found;
};
