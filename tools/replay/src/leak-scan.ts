/**
 * The last check before anything is written: the output, opened again from the bytes that will be
 * written (not from what rekeying meant to write), must hold none of the person identifiers the run found
 * in its source (traces.ts). Pure. A finding names what and where, never the value.
 *
 *  - person numbers, their sha256 keys (and any hex key), pseudonyms and names: any found anywhere in the source, looked
 *    for anywhere in every output record (digit runs, hex runs and pseudonym-shaped runs compared exactly;
 *    names as whole words, case kept, so "Bol" is not the leerweg "BOL");
 *  - birth dates: the record's own, looked for in the record made from it (as ISO text anywhere, and as
 *    an epoch day in a geboortedatum field). Only per record: over a whole topic, birth dates cover most
 *    days of the years they span, and any enrolment or BPV date would match someone's.
 *    A birth date on July 1st is its own year-only form and tells nothing more than the year.
 */

import { identifiersIn } from './identifiers.ts';
import { Opened } from './opened.ts';
import type { RecordView } from './rekey.ts';
import { BIRTH_DATE_FIELD, isoDateOf, type Traces } from './traces.ts';

export type LeakKind = 'person number' | 'person hash' | 'pseudonym' | 'name' | 'birth date';

export interface Leak {
  what: LeakKind;
  /** 'key', 'header <name>', 'value', with a path inside the value, e.g. value.originalValue.persoon.bsn */
  where: string;
}

export class LeakFound extends Error {
  override name = 'LeakFound';
  readonly isTrusted = true;
  readonly retriable = false;
  constructor(position: string, leak: Leak) {
    super(
      `refused: the rekeyed output of ${position} still holds a ${leak.what} found in the source (at ${leak.where}). ` +
        'Nothing was written. This is a bug in the rekeying of this kind of record: export with --allow-personal-data ' +
        'only where the copy may hold person data.',
    );
  }
}

const WORD = /[\p{L}\p{N}]+/gu;
const words = (text: string): string[] => text.match(WORD) ?? [];

/** A property name as a finding may show it: a plain field name, else a placeholder (it could be anything). */
const pathPart = (name: string): string => (/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(name) && !/\d{5}/.test(name) ? name : '[…]');

export interface LeakScanner {
  /** the first leak in one output record, or undefined; `own` are the traces of the record it was made from */
  findLeak(output: RecordView, own: Traces): Leak | undefined;
}

/** Prepared once per run, after every source record was traced into `all`. */
export function createLeakScanner(all: Traces): LeakScanner {
  // names by their first word, so a text is matched word by word rather than against every name
  const namesByFirstWord = new Map<string, string[][]>();
  for (const name of all.names) {
    const nameWords = words(name);
    if (nameWords.join('').length < 2) continue;
    const list = namesByFirstWord.get(nameWords[0] as string) ?? [];
    list.push(nameWords);
    namesByFirstWord.set(nameWords[0] as string, list);
  }

  const hasName = (text: string): boolean => {
    const textWords = words(text);
    return textWords.some((word, i) =>
      (namesByFirstWord.get(word) ?? []).some((nameWords) => nameWords.every((w, j) => textWords[i + j] === w)),
    );
  };

  const digitBounded = (text: string, needle: string): boolean => {
    let from = text.indexOf(needle);
    while (from >= 0) {
      const before = text[from - 1];
      const after = text[from + needle.length];
      if (!(before && /\d/.test(before)) && !(after && /\d/.test(after))) return true;
      from = text.indexOf(needle, from + 1);
    }
    return false;
  };

  const inText = (text: string, own: Traces, birthDates: string[]): LeakKind | undefined => {
    const found = identifiersIn(text);
    if (found.digitRuns.some((d) => all.numbers.has(d) || own.numbers.has(d))) return 'person number';
    if (found.hashes.some((h) => all.hashes.has(h) || all.hexes.has(h) || own.hashes.has(h) || own.hexes.has(h))) return 'person hash';
    if (found.pseudonyms.some((p) => all.pseudonyms.has(p) || own.pseudonyms.has(p))) return 'pseudonym';
    if (hasName(text)) return 'name';
    if (birthDates.some((d) => digitBounded(text, d))) return 'birth date';
    return undefined;
  };

  return {
    findLeak(output, own) {
      // a birth date that is already July 1st is its own year-only form: seeing it again says only the year
      const birthDates = [...own.birthDates].filter((d) => !/^\d{4}-07-01$/.test(d));
      const scan = (value: unknown, where: string, field: string): Leak | undefined => {
        if (value instanceof Opened) {
          if (value.format === 'json' || value.format === 'avro') return scan(value.content, `${where}<${value.format}>`, field);
          if (value.format === 'text') return scan(value.content, where, field);
          if (value.format === 'binary') return scan((value.content as Buffer).toString('latin1'), where, field);
          return undefined;
        }
        if (typeof value === 'string') {
          const what = inText(value, own, birthDates);
          return what === undefined ? undefined : { what, where };
        }
        if (typeof value === 'number' || typeof value === 'bigint') {
          const digits = String(value);
          if (all.numbers.has(digits) || own.numbers.has(digits)) return { what: 'person number', where };
          if (field === BIRTH_DATE_FIELD && typeof value === 'number' && Number.isInteger(value)) {
            const iso = isoDateOf(value);
            if (iso !== undefined && birthDates.includes(iso)) return { what: 'birth date', where };
          }
          return undefined;
        }
        if (Buffer.isBuffer(value)) return scan(value.toString('latin1'), where, field);
        if (value instanceof Date) {
          const iso = isoDateOf(value);
          return iso !== undefined && birthDates.includes(iso) ? { what: 'birth date', where } : undefined;
        }
        if (Array.isArray(value)) {
          for (const [i, item] of value.entries()) {
            const leak = scan(item, `${where}[${i}]`, field);
            if (leak) return leak;
          }
          return undefined;
        }
        if (value === null || typeof value !== 'object') return undefined;
        for (const [name, child] of Object.entries(value)) {
          const at = `${where}.${pathPart(name)}`;
          const inName = inText(name, own, birthDates);
          if (inName) return { what: inName, where: `${where} (a property name)` };
          const leak = scan(child, at, name.toLowerCase());
          if (leak) return leak;
        }
        return undefined;
      };
      return (
        scan(output.key, 'key', '') ??
        Object.entries(output.headers).reduce<Leak | undefined>((found, [name, v]) => found ?? scan(v, `header ${name}`, ''), undefined) ??
        scan(output.value, 'value', '')
      );
    },
  };
}
