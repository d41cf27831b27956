import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRegisterEvent, RULE, type Rule } from './validate/index.ts';

const lines = (name: string): string[] =>
  readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');

const samples = lines('sample-events.jsonl');
const bad = lines('bad-events.jsonl');

describe('fixtures/sample-events.jsonl', () => {
  it('given the sample file, when read, then it covers PO, VO, MBO and a whole BPV life cycle', () => {
    const events = samples.map((line) => JSON.parse(line) as { sector: string; eventType: string });
    expect(new Set(events.map((e) => e.sector))).toEqual(new Set(['PO', 'VO', 'MBO']));
    expect(events.map((e) => e.eventType).filter((t) => t.startsWith('Bpv'))).toEqual([
      'BpvGeregistreerd',
      'BpvGewijzigd',
      'BpvBeeindigd',
      'BpvVerwijderd',
    ]);
  });

  it.each(samples.map((line, i) => [i + 1, line]))('given sample line %i, when parsed, then it is accepted', (_, line) => {
    expect(parseRegisterEvent(line)).toEqual({ ok: true, event: JSON.parse(line) });
  });
});

// One line per kind of refusal, in file order.
const EXPECTED: readonly (readonly [what: string, rules: readonly Rule[]])[] = [
  ['not JSON', [RULE.notJson]],
  ['wrong types (leerjaar as a string, achternaam as a number)', [RULE.type, RULE.type]],
  ['bsn failing the elfproef', [RULE.bsnElfproef]],
  ['bad BRIN', [RULE.brinFormat]],
  ['einddatum before begindatum', [RULE.dateOrder]],
  ['groep on VO', [RULE.sectorField]],
  ['BpvGeregistreerd without bpv', [RULE.eventRequires]],
  ['unknown event type', [RULE.enum]],
  ['date that does not exist', [RULE.dateExists]],
  ['unknown field', [RULE.unknownField]],
  ['eventId built from a BSN', [RULE.eventIdDigits]],
];

describe('fixtures/bad-events.jsonl', () => {
  it('given the bad file, when counted, then each line has an expected rule', () => {
    expect(bad).toHaveLength(EXPECTED.length);
  });

  it.each(
    bad.map((line, i) => [i + 1, EXPECTED[i]![0], line, EXPECTED[i]![1]] as const),
  )('given bad line %i (%s), when parsed, then it fails with the expected rule only', (_, __, line, rules) => {
    const result = parseRegisterEvent(line);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.reasons.map((r) => r.rule)).toEqual(rules);
  });
});
