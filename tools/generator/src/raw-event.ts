/**
 * The generator writes the raw input contract (docs/raw-input-contract.md). Its types are the contract's
 * own (@register-feeds/contracts, which ingest reads with too), imported rather than copied, so a change
 * of the contract breaks the generator at compile time.
 */

import type { RawRegisterEvent } from '@register-feeds/contracts';

export type {
  RawBpv,
  RawBpvReference,
  RawInschrijving,
  RawNaam,
  RawPersoon,
} from '@register-feeds/contracts';

export type RawEvent = RawRegisterEvent;

/** An event before it gets its place in the output, and with that its eventId. */
export type UnnumberedEvent = RawEvent extends infer E ? (E extends RawEvent ? Omit<E, 'eventId'> : never) : never;
