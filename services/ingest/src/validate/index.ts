export { daysInMonth, fromEpochDay, isLeapYear, parseIsoDate, parseIsoDateTime, toEpochDay } from '@register-feeds/register-model';
export { type Bounds, contractSummary, type ObjectSummary } from './contract.ts';
export {
  elfproefRemainder,
  isAlphanumeric,
  isValidBrin,
  isValidBrinVestiging,
  isValidBsn,
  isValidCrebo,
  isValidOnderwijsnummer,
  isValidOpleidingscode,
  vestigingBelongsToBrin,
} from './identifiers.ts';
export {
  DEFAULT_MAX_BYTES,
  type ParseOptions,
  type ParseResult,
  parseRegisterEvent,
  parseRegisterEventHandWritten,
} from './parse-register-event.ts';
export { type Reason, RULE, type Rule, WHOLE_PAYLOAD } from './reason.ts';
