import { describe, expect, it } from 'vitest';
import { rawRegisterEventSchema } from './raw-register-event-schema.ts';

describe('rawRegisterEventSchema', () => {
  it('given the published schema, when loaded, then it is the raw register event contract with its top-level fields', () => {
    const schema = rawRegisterEventSchema();
    expect(schema.$id).toMatch(/raw-register-event\.schema\.json$/);
    expect(Object.keys(schema.properties as object)).toEqual(
      expect.arrayContaining(['eventId', 'eventType', 'occurredAt', 'sector', 'persoon', 'inschrijving', 'bpv']),
    );
  });
});
