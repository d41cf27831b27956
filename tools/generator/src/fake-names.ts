/**
 * Names that are obviously not real people ("Test", "Proefpersoon"): generated data ends up in demos,
 * screenshots and logs, and nobody should ever wonder whether it is a real student.
 */

import type { Random } from './random.ts';
import type { RawNaam } from './raw-event.ts';

const VOORNAMEN = ['Test', 'Testa', 'Proef', 'Demo', 'Fictief', 'Voorbeeld', 'Synthe', 'Dummy'] as const;
const TWEEDE_NAMEN = ['Jan', 'Anna', 'Kees', 'Fleur', 'Piet', 'Noor'] as const;
const VOORVOEGSELS = ['de', 'van', 'van der', 'van den', 'ter', 'van de'] as const;
const ACHTERNAMEN = ['Testpersoon', 'Proefpersoon', 'Voorbeeld', 'Demostudent', 'Fictief', 'Synthetisch', 'Nepnaam', 'Proef'] as const;

export function fakeNaam(random: Random): RawNaam {
  const voornaam = random.pick(VOORNAMEN);
  const voornamen = random.chance(0.3) ? `${voornaam} ${random.pick(TWEEDE_NAMEN)}` : voornaam;
  const achternaam = random.pick(ACHTERNAMEN);
  return random.chance(0.25) ? { voornamen, voorvoegsel: random.pick(VOORVOEGSELS), achternaam } : { voornamen, achternaam };
}
