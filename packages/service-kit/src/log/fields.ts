/**
 * Which object fields may put text into a log line.
 *
 * The design, and why. Numbers and dates are found by pattern (text.ts) wherever they are. Names are
 * not: "Jan" and "Jansen" look like any other word. So text may only enter a log line where we decided
 * beforehand that it is not about a person:
 *
 *  - a field whose name says it is person data (bsn, naam, geboortedatum, nummer, ... below, at any depth,
 *    in any case, with or without _ or -) is always [redacted], whatever its value;
 *  - a string is logged only under a field on the allow-list below (topic, component, eventId, rules,
 *    an error's message, ...): names of things, never of people. A string under any other field is
 *    replaced by [unlisted], which tells the developer to add the field here if it is safe, in review;
 *  - numbers and booleans are logged under any field (a number cannot be a name; one that could be a
 *    person number or a date is [redacted]); objects and arrays are walked by the same rules;
 *  - message payloads (value, payload, record, ...) and raw bytes are never logged at all.
 *
 * What the allow-list cannot see is text a developer writes into a message or an error: those are
 * scrubbed for numbers and dates, and log-messages.unit.spec.ts keeps every log call's message a literal.
 */

/** Normalised for comparison: case and separators do not matter (Geboorte_Datum is geboortedatum). */
export const normaliseKey = (key: string): string => key.toLowerCase().replace(/[_\-\s.]/g, '');

/** Fields that hold person data: the register's names, their English twins, and contact details. */
const PERSON_KEYS = new Set(
  [
    'bsn',
    'burgerservicenummer',
    'onderwijsnummer',
    'persoonsnummer',
    'persoonsgebondennummer',
    'pgn',
    'nummer',
    'persoon',
    'person',
    'identificatie',
    'naam',
    'achternaam',
    'geslachtsnaam',
    'voornaam',
    'voornamen',
    'voorletters',
    'voorvoegsel',
    'roepnaam',
    'name',
    'fullname',
    'firstname',
    'givenname',
    'lastname',
    'familyname',
    'surname',
    'geboortedatum',
    'birthdate',
    'dateofbirth',
    'dob',
    'adres',
    'address',
    'straat',
    'huisnummer',
    'postcode',
    'woonplaats',
    'email',
    'telefoon',
    'telefoonnummer',
    'phone',
  ].map(normaliseKey),
);

/** Record payloads are never logged: keys and values of Kafka messages may carry any of the above. */
const PAYLOAD_KEYS = new Set(
  ['value', 'payload', 'body', 'record', 'records', 'messagevalue', 'rawvalue', 'originalvalue'].map(normaliseKey),
);

/**
 * Fields whose text may be logged: what the services and kafkajs log about their own work. Each names a
 * thing (topic, group, broker, rule, recipient agreement) or is an error's own text, never a person.
 */
const TEXT_KEYS = new Set(
  [
    // every line
    'service',
    'component',
    'msg',
    // Kafka positions and clients (ours and kafkajs's log entries)
    'namespace',
    'topic',
    'topics',
    'groupId',
    'memberId',
    'clientId',
    'transactionalId',
    'broker',
    'brokers',
    'host',
    'apiName',
    'partition',
    'offset',
    'firstOffset',
    'lastOffset',
    // the pipelines
    'eventId',
    'eventType',
    'rule',
    'rules',
    'field',
    'recipient',
    'recipients',
    'withKey',
    'retired',
    'signal',
    'url',
    'path',
    'method',
    'subject',
    // errors (an Error is logged as these fields; its message and stack are scrubbed, quotes cut out)
    'err',
    'error',
    'errors',
    'type',
    'message',
    'stack',
    'code',
    'cause',
    'reasons',
  ].map(normaliseKey),
);

export function isPersonKey(key: string): boolean {
  return PERSON_KEYS.has(normaliseKey(key));
}

export function isPayloadKey(key: string): boolean {
  return PAYLOAD_KEYS.has(normaliseKey(key));
}

export function isTextKey(key: string): boolean {
  return TEXT_KEYS.has(normaliseKey(key));
}
