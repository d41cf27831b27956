/**
 * Why a payload was refused. Reasons travel to the dead-letter topic and may be logged, so a message
 * names the field and the rule and never quotes a value: "persoon.bsn fails the elfproef", not the number.
 */

export interface Reason {
  /** Dotted path of the field, e.g. persoon.naam.achternaam; '$' for the payload as a whole. */
  field: string;
  /** Stable rule identifier for counting and tests; the validator's are in RULE, callers may add their own. */
  rule: string;
  message: string;
}

export const RULE = {
  tooLarge: 'too-large',
  notUtf8: 'not-utf8',
  notJson: 'not-json',
  notObject: 'not-object',
  type: 'type',
  required: 'required',
  unknownField: 'unknown-field',
  enum: 'enum',
  length: 'length',
  range: 'range',
  format: 'format',
  eventIdFormat: 'event-id-format',
  eventIdDigits: 'event-id-digits',
  bsnFormat: 'bsn-format',
  bsnElfproef: 'bsn-elfproef',
  onderwijsnummerFormat: 'onderwijsnummer-format',
  onderwijsnummerCheck: 'onderwijsnummer-check',
  oneIdentifier: 'one-identifier',
  brinFormat: 'brin-format',
  brinVestigingFormat: 'brin-vestiging-format',
  brinVestigingPrefix: 'brin-vestiging-prefix',
  opleidingscodeFormat: 'opleidingscode-format',
  dateFormat: 'date-format',
  dateTimeFormat: 'date-time-format',
  dateExists: 'date-exists',
  dateOrder: 'date-order',
  geboortedatumAfterEvent: 'geboortedatum-after-event',
  sectorField: 'sector-field',
  eventRequires: 'event-requires',
  eventForbids: 'event-forbids',
  eventSector: 'event-sector',
} as const;

export type Rule = (typeof RULE)[keyof typeof RULE];

/** The path used for reasons about the payload as a whole. */
export const WHOLE_PAYLOAD = '$';

export function reason(field: string, rule: Rule, message: string): Reason {
  return { field, rule, message };
}
