import { readFileSync } from 'node:fs';
import { parseRegisterEvent, parseRegisterEventHandWritten } from '@register-feeds/ingest';
import { describe, expect, it } from 'vitest';
import { BREAKAGES, invalidEvents, validEvents } from '../bench/raw-contract-cases.ts';

// Ingest checks the raw contract with ajv, compiled from schemas/raw-register-event.schema.json with the
// service's rules as custom keywords (packages/contracts raw-register-event-ajv.ts); the hand-written
// validator it replaced is kept as the reference. Both must refuse the same payloads for the same reasons,
// word for word: the reasons are what the dead-letter topic tells the register.

const fixture = (name: string): string[] =>
  readFileSync(new URL(`../services/ingest/fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');

const valid = validEvents(300);
const invalid = invalidEvents(valid);

describe('the raw-contract validators: ajv against the hand-written one', () => {
  it.each(
    [...fixture('sample-events.jsonl'), ...fixture('bad-events.jsonl')].map((line, i) => [i + 1, line]),
  )('fixture line %i gets the same verdict and reasons', (_, line) => {
    expect(parseRegisterEvent(line)).toEqual(parseRegisterEventHandWritten(line));
  });

  it('accepts the same 300 generated events', () => {
    const lines = valid.map((e) => JSON.stringify(e));
    expect(lines.filter((line) => !parseRegisterEvent(line).ok)).toEqual([]);
    expect(lines.filter((line) => !parseRegisterEventHandWritten(line).ok)).toEqual([]);
  });

  it('refuses 300 broken events with the same reasons, in the same order, word for word', () => {
    const differing = invalid
      .map(({ broken, event }) => ({ broken, line: JSON.stringify(event) }))
      .filter(({ line }) => JSON.stringify(parseRegisterEvent(line)) !== JSON.stringify(parseRegisterEventHandWritten(line)))
      .map(({ broken, line }) => ({ broken, ajv: parseRegisterEvent(line), handWritten: parseRegisterEventHandWritten(line) }));
    expect(differing).toEqual([]);
    // the cases are worth something only when they are refused, for every kind of breakage
    expect(invalid.filter(({ event }) => parseRegisterEvent(JSON.stringify(event)).ok)).toEqual([]);
    expect(new Set(invalid.flatMap((c) => c.broken))).toEqual(new Set(Object.keys(BREAKAGES)));
  });

  it('payloads that are not objects get the same single reason', () => {
    for (const line of ['[]', 'null', '"text"', '42', 'true'])
      expect(parseRegisterEvent(line)).toEqual(parseRegisterEventHandWritten(line));
  });
});
