import { fileURLToPath } from 'node:url';
import { RECORD_FIELDS_BY_KIND, recordSchemaProblems } from '@register-feeds/contracts';
import { loadProjectionsFile } from '@register-feeds/deliver';
import { type Agreement, loadAgreements, recipientSchema } from '@register-feeds/pseudonymise';
import { describe, expect, it } from 'vitest';

// The recipient contract from both sides: deliver's projections file says which kind of projection reads
// each recipient's records; the agreement decides what that recipient's records hold (pseudonymise builds
// the registered Avro schema from it). A kind must get every field it reads, and never null where its
// record type says a value is always there; otherwise an agreement change would break deliver at run time.

const agreements = loadAgreements(fileURLToPath(new URL('../agreements/', import.meta.url)));
const projections = loadProjectionsFile(fileURLToPath(new URL('../services/deliver/projections.yaml', import.meta.url)));
const agreementOf = (recipient: string): Agreement | undefined => agreements.find((a) => a.recipient === recipient);

describe("deliver's projections against the agreements they read", () => {
  it('given the projections file, then every projection reads a recipient that has an agreement, from its output topic', () => {
    expect(projections.length).toBeGreaterThan(0);
    for (const { recipient, input } of projections) {
      expect(agreementOf(recipient), recipient).toBeDefined();
      expect(input, recipient).toBe(agreementOf(recipient)?.output.topic);
    }
  });

  it.each(
    projections.map((p) => [p.recipient, p.kind] as const),
  )('given %s read as a %s projection, then its agreement gives every field the kind reads, non-null where the kind needs a value', (recipient, kind) => {
    const agreement = agreementOf(recipient);
    if (agreement === undefined) throw new Error(`no agreement ${recipient}`);
    expect(recordSchemaProblems(recipientSchema(agreement), RECORD_FIELDS_BY_KIND[kind])).toEqual([]);
  });

  it('given an agreement that no longer lists a field a kind reads, then the check names it', () => {
    const svb = agreementOf('svb-kostendelersnorm');
    if (svb === undefined) throw new Error('no svb agreement');
    const narrowed: Agreement = { ...svb, fields: svb.fields.filter((field) => field !== 'inschrijving.einddatum') };
    expect(recordSchemaProblems(recipientSchema(narrowed), RECORD_FIELDS_BY_KIND.svb)).toEqual(['inschrijving.einddatum: missing']);
  });
});
