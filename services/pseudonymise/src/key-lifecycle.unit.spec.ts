import { describe, expect, it } from 'vitest';
import { retireEndedAgreements } from './key-lifecycle.ts';
import { createKeyStore, generateTestKeys } from './keys.ts';
import { loadAgreements } from './load-agreements.ts';
import { applyAgreement } from './minimise.ts';
import { sampleEvents } from './sample-events.test-support.ts';

const agreements = loadAgreements(new URL('../../../agreements', import.meta.url).pathname);
const sbb = agreements.find((a) => a.recipient === 'sbb-stagemarkt')!;
const day = (iso: string) => Date.parse(`${iso}T12:00:00Z`);

describe('retireEndedAgreements (crypto-shredding at the end of a term)', () => {
  const ended = { ...sbb, term: { from: sbb.term.from, to: Math.floor(day('2026-06-30') / 86_400_000) } };
  const keys = createKeyStore(generateTestKeys(agreements.map((a) => a.recipient)));

  it('given an agreement whose term ended yesterday, when keys are reviewed, then its keys are gone and nothing more is delivered', () => {
    const { keys: after, retired } = retireEndedAgreements(keys, [ended], day('2026-07-01'));
    expect(retired).toEqual(['sbb-stagemarkt']);
    expect(after.keyFor('sbb-stagemarkt')).toBeUndefined();
    expect(after.recipients()).not.toContain('sbb-stagemarkt');
    const mbo = sampleEvents.find((e) => e.sector === 'MBO')!;
    expect(applyAgreement(mbo, ended, after.keyFor('sbb-stagemarkt'), day('2026-06-30'))).toBeNull();
  });

  it('given the last day of the term, then the keys stay', () => {
    const { keys: after, retired } = retireEndedAgreements(keys, [ended], day('2026-06-30'));
    expect(retired).toEqual([]);
    expect(after.keyFor('sbb-stagemarkt')).toBeDefined();
  });

  it('given open-ended agreements, then nothing is retired and other recipients keep their keys', () => {
    const { keys: after, retired } = retireEndedAgreements(keys, agreements, day('2040-01-01'));
    expect(retired).toEqual([]);
    expect(after.recipients()).toEqual(keys.recipients());
  });
});
