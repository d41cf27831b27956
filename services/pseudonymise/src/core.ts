/**
 * The pure core of the pseudonymise service: agreements, keys, pseudonyms, ages, minimisation, recipient
 * schemas and the register of processing. No Kafka, no clock; main.ts and the pipeline build on this.
 */

export { amsterdamEpochDay, amsterdamOffsetMillis } from '@register-feeds/register-model';
export {
  type AgeAt,
  type AgeReference,
  ageOn,
  eventDate,
  type ResolvedAgeReference,
  referenceDates,
  resolveAgeAt,
  studyYearOf,
} from './ages.ts';
export { type Agreement, AgreementError, type Condition, IDENTITIES, type Identity } from './agreement.ts';
export {
  createKeyStore,
  generateTestKeys,
  type KeyFile,
  KeyFileError,
  type KeyStore,
  MIN_SECRET_BYTES,
  parseKeyFile,
  type RecipientKey,
} from './keys.ts';
export { assertUniqueRecipients, loadAgreements } from './load-agreements.ts';
export { applyAgreement, type RecipientRecord } from './minimise.ts';
export {
  type BpvStatus,
  bpvStatus,
  ENVELOPE_FIELDS,
  type EnvelopeFieldName,
  isOutputFieldName,
  OUTPUT_FIELD_NAMES,
  OUTPUT_FIELDS,
  type OutputFieldName,
} from './output-fields.ts';
export { camelCaseId, RECIPIENT_NAMESPACE, recipientSchema } from './output-schema.ts';
export { parseAgreement } from './parse-agreement.ts';
export { describePredicate, holds, type Predicate } from './predicates.ts';
export { renderProcessingRegister } from './processing-register.ts';
export { pseudonymFor } from './pseudonym.ts';
export { type PseudonymUse, pseudonymUse } from './record-layout.ts';
export { isForRecipient, isWithinTerm } from './term.ts';
