/**
 * Age rules the GGD projection needs, on top of the age arithmetic pseudonymise already has (one rule for
 * the whole system: someone born on 29 February turns 18 on 1 March in a year without 29 February).
 */

import { ageOn, type EpochDay } from '@register-feeds/register-model';

/** The age of majority: the GGD may receive the BSN and name only of younger students. */
export const ADULT_AGE = 18;

/** 18 or older on the day; a day before the birth is no age at all, so not adult. */
export function isAdultOn(birth: EpochDay, day: EpochDay): boolean {
  return day >= birth && ageOn(birth, day) >= ADULT_AGE;
}
