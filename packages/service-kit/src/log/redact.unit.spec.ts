import { describe, expect, it } from 'vitest';
import { PAYLOAD, REDACTED, redact, scrubText, UNLISTED } from './redact.ts';
import { scrubErrorText, scrubJsonLine, scrubNumber } from './text.ts';

const BSN = '123456782'; // a test number that passes the elfproef

describe('redact', () => {
  it('replaces person fields at any depth, whatever their case or separator', () => {
    const input = {
      eventId: 'e-1',
      student: { BSN: BSN, geboorte_datum: '2008-01-01', naam: { voornamen: 'Test', achternaam: 'Persoon' } },
      nested: [{ deep: { Onderwijsnummer: '100000009', birthDate: '2010-02-03', 'first-name': 'Test' } }],
      persoon: { anything: 1 },
    };
    expect(redact(input)).toEqual({
      eventId: 'e-1',
      student: { BSN: REDACTED, geboorte_datum: REDACTED, naam: REDACTED },
      nested: [{ deep: { Onderwijsnummer: REDACTED, birthDate: REDACTED, 'first-name': REDACTED } }],
      persoon: REDACTED,
    });
  });

  it('logs text only under allow-listed fields; numbers and booleans under any', () => {
    expect(redact({ topic: 'register.raw.v1', who: 'Jan Jansen', list: ['Jan'], count: 3, ok: true, rules: ['a:b'] })).toEqual({
      topic: 'register.raw.v1',
      who: UNLISTED,
      list: [UNLISTED],
      count: 3,
      ok: true,
      rules: ['a:b'],
    });
  });

  it('never prints message payloads or raw bytes', () => {
    expect(redact({ value: { anything: 1 }, payload: 'raw json', key: Buffer.from(BSN), records: 12 })).toEqual({
      value: PAYLOAD,
      payload: PAYLOAD,
      key: '[9 bytes]',
      records: 12,
    });
  });

  it('scrubs keys, numbers, bigints and dates that could be a person number or a birth date', () => {
    expect(
      redact({ [BSN]: 1, n: 123456782, big: 123456782n, compact: 20080314, small: 1234567, when: new Date('2008-03-14T00:00:00Z') }),
    ).toEqual({
      [REDACTED]: 1,
      n: REDACTED,
      big: REDACTED,
      compact: REDACTED,
      small: 1234567,
      when: `${REDACTED}T00:00:00.000Z`,
    });
  });

  it('gives an error as kind, message, stack, code and cause, and leaves out its other properties', () => {
    const error = Object.assign(new Error(`cannot process ${BSN}`, { cause: new Error(`inner ${BSN}`) }), {
      code: 'E1',
      record: { naam: 'x' },
    });
    const out = redact({ err: error }) as { err: Record<string, unknown> };
    expect(out.err).toMatchObject({
      type: 'Error',
      message: `cannot process ${REDACTED}`,
      code: 'E1',
      cause: { message: `inner ${REDACTED}` },
    });
    expect(out.err.record).toBeUndefined();
    expect(String(out.err.stack)).not.toContain(BSN);
  });
});

describe('scrubText', () => {
  it.each([
    [`bsn ${BSN}`, `bsn ${REDACTED}`],
    ['bsn 123 456 782', `bsn ${REDACTED}`],
    ['bsn 1234.56.782', `bsn ${REDACTED}`],
    ['bsn 123-456-782', `bsn ${REDACTED}`],
    ['offset 1234567890', `offset ${REDACTED}`],
    ['id leerling123456782x', `id leerling${REDACTED}x`],
    ['born 2008-01-01', `born ${REDACTED}`],
    ['born 14-05-2007', `born ${REDACTED}`],
    ['born 14/5/2007', `born ${REDACTED}`],
    ['born 2007.05.14', `born ${REDACTED}`],
    ['born 20070514', `born ${REDACTED}`],
  ])('given %j, then it is scrubbed', (text, scrubbed) => {
    expect(scrubText(text)).toBe(scrubbed);
  });

  it.each([
    'partition 3 offset 12345678',
    'broker 127.0.0.1:9092',
    'kafkajs 2.2.4, took 1500 ms',
    'code 25604 at 25LX01',
  ])('given %j, which holds no person number or date, then it is kept', (text) => {
    expect(scrubText(text)).toBe(text);
  });

  it('scrubs numbers only when their digits could be a person number or a date', () => {
    expect(scrubNumber(42)).toBe(42);
    expect(scrubNumber(12_345_678)).toBe(12_345_678);
    expect(scrubNumber(123_456_782)).toBe(REDACTED);
    expect(scrubNumber(20_080_314)).toBe(REDACTED);
    expect(scrubNumber(Number.NaN)).toBeNaN();
  });

  it('cuts quoted input out of error text', () => {
    expect(scrubErrorText(`Unexpected token 'J', "Jan Jansen ${BSN}"... is not valid JSON`)).toBe(
      `Unexpected token 'J', "[quoted]"... is not valid JSON`,
    );
  });
});

describe('scrubJsonLine', () => {
  it('scrubs strings and numbers of a finished line, keeps it valid JSON and keeps its time', () => {
    const line = `{"level":"info","time":"2026-03-02T09:15:00.000Z","msg":"bsn ${BSN} born 2008-01-01","n":${BSN},"f":-1.5e3,"${BSN}":true}\n`;
    const from = line.indexOf('Z"') + 2;
    const scrubbed = scrubJsonLine(line, from);
    expect(JSON.parse(scrubbed)).toEqual({
      level: 'info',
      time: '2026-03-02T09:15:00.000Z',
      msg: `bsn ${REDACTED} born ${REDACTED}`,
      n: REDACTED,
      f: -1500,
      [REDACTED]: true,
    });
  });

  it('leaves a line without anything to scrub as it is', () => {
    const line = '{"level":"info","msg":"ok","offset":"42"}\n';
    expect(scrubJsonLine(line)).toBe(line);
  });

  it('never cuts into a \\u escape', () => {
    const line = `{"msg":"a\\u0019${BSN.slice(0, 5)}"}`;
    expect(JSON.parse(scrubJsonLine(line))).toEqual({ msg: `a\u0019${BSN.slice(0, 5)}` });
  });
});
