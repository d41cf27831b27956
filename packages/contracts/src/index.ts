/**
 * What crosses a Kafka boundary of this system, defined once and imported by both sides: the raw input
 * contract (the register, the generator and the publish tools write it, ingest reads it) and the recipient
 * records (pseudonymise writes them, deliver reads them). Types and small pure helpers only.
 */

export { rawPersonKey } from './raw-person-key.ts';
export type {
  IsoDate,
  IsoDateTime,
  RawBpv,
  RawBpvEvent,
  RawBpvReference,
  RawBpvVerwijderdEvent,
  RawInschrijving,
  RawInschrijvingEvent,
  RawLeerbedrijf,
  RawNaam,
  RawPersoon,
  RawRegisterEvent,
} from './raw-register-event.ts';
export {
  type ContractReason,
  type ContractVerdict,
  createAjvContractValidator,
  withServiceKeywords,
} from './raw-register-event-ajv.ts';
export { type JsonSchema, RAW_REGISTER_EVENT_SCHEMA_FILE, rawRegisterEventSchema } from './raw-register-event-schema.ts';
export type {
  BpvStatus,
  EnvelopeFieldName,
  EnvelopeFieldValues,
  FieldGroup,
  GroupOf,
  LeafOf,
  Leeftijd,
  Leerbedrijf,
  OutputFieldName,
  OutputFieldValues,
  RecipientFieldName,
  RecipientFieldValues,
  RecipientRecordOf,
  RecordEnvelope,
} from './recipient-fields.ts';
export { NULLABLE_FIELDS, NULLABLE_GROUPS } from './recipient-fields.ts';
export {
  GGD_RECORD_FIELDS,
  type GgdRecord,
  RECORD_FIELDS_BY_KIND,
  STAGEMARKT_RECORD_FIELDS,
  type StagemarktRecord,
  SVB_RECORD_FIELDS,
  type SvbRecord,
} from './recipient-records.ts';
export { recordSchemaProblems } from './record-schema-check.ts';
