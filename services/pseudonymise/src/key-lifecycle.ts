import { amsterdamEpochDay } from '@register-feeds/register-model';
import type { Agreement } from './agreement.ts';
import type { KeyStore } from './keys.ts';

/**
 * Crypto-shredding at the end of an agreement: once the term has ended, the recipient's keys are
 * dropped, so nothing more is delivered and the pseudonyms already delivered can no longer be linked to a
 * person by anyone holding the key file. Pure: returns the store without those keys and who lost them.
 */
export function retireEndedAgreements(
  keys: KeyStore,
  agreements: readonly Agreement[],
  now: number,
): { keys: KeyStore; retired: string[] } {
  const today = amsterdamEpochDay(now);
  let store = keys;
  const retired: string[] = [];
  for (const agreement of agreements) {
    if (agreement.term.to !== null && today > agreement.term.to && store.keyFor(agreement.recipient)) {
      store = store.retire(agreement.recipient);
      retired.push(agreement.recipient);
    }
  }
  return { keys: store, retired };
}
