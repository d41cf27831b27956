import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, type Logger } from './logger.ts';

// Every kind of person identifier through every way pino takes input, at every level: none may come out,
// in any notation. What no logger can see, a name a developer writes into the message text itself, is
// shown at the end; log-messages.unit.spec.ts keeps such messages out of the code.

const BSN = '123456782'; // passes the elfproef; belongs to no one known
const ONDERWIJSNUMMER = '101000012'; // passes the onderwijsnummer check
const VOORNAMEN = 'Zwaantje';
const ACHTERNAAM = 'Oosterbroek';
const NAAM = `${VOORNAMEN} ${ACHTERNAAM}`;
const GEBOORTEDATUM = '2008-03-14';

const NUMBERS = [BSN, ONDERWIJSNUMMER];
/** Every way the identifiers could show, as written and as others write them. */
const FORBIDDEN = [
  ...NUMBERS.flatMap((n) => [n, `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`, `${n.slice(0, 4)}.${n.slice(4, 6)}.${n.slice(6)}`]),
  VOORNAMEN,
  ACHTERNAAM,
  GEBOORTEDATUM,
  '14-03-2008',
  '14/03/2008',
  '20080314',
];

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

function capture(): { logger: Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ service: 'test', level: 'trace', destination });
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

/** Fails with the first line that shows an identifier in any form, also with separators taken out. */
function expectNoPersonData(lines: string[]): void {
  for (const line of lines) {
    expect(() => JSON.parse(line), line).not.toThrow();
    const lower = line.toLowerCase();
    for (const value of FORBIDDEN) expect(lower, `${value} in ${line}`).not.toContain(value.toLowerCase());
    const joined = line.replace(/[\s.\-/\\]/g, '');
    for (const digits of [...NUMBERS, '20080314', '14032008']) expect(joined, `${digits} in ${line}`).not.toContain(digits);
  }
}

const persoon = () => ({
  bsn: BSN,
  onderwijsnummer: ONDERWIJSNUMMER,
  geboortedatum: GEBOORTEDATUM,
  naam: { voornamen: VOORNAMEN, achternaam: ACHTERNAAM },
});
/** A raw register event as it comes off the raw topic. */
const rawEvent = () => ({ eventId: 'e-1', eventType: 'InschrijvingGeregistreerd', persoon: persoon() });

class RecordError extends Error {
  override name = 'RecordError';
  readonly bsn = BSN;
  readonly record = rawEvent();
  readonly details = { naam: NAAM, when: GEBOORTEDATUM };
  readonly code = 'E_RECORD';
}

/** V8 quotes the start of the input: `Unexpected token 'Z', "Zwaantje O"... is not valid JSON`. */
function parseError(): Error {
  try {
    JSON.parse(`${NAAM} ${BSN}`);
  } catch (error) {
    return error as Error;
  }
  throw new Error('unreachable');
}

/** Each way in, as a call on a logger at one level. */
type Call = (log: Logger, level: (typeof LEVELS)[number]) => void;
// pino's types allow less than pino does at run time; callers that get around them are covered too
type Loose = (...args: unknown[]) => void;
const at = (log: Logger, level: (typeof LEVELS)[number]): Loose => (log[level] as unknown as Loose).bind(log);

const CALLS: Record<string, Call> = {
  'merged object, person fields at depth': (log, level) =>
    at(log, level)({ event: rawEvent(), nested: { deeper: { persoon: persoon() } } }, 'event'),
  'merged object, identifiers under harmless-looking fields': (log, level) =>
    at(log, level)(
      {
        id: BSN,
        ref: `leerling-${ONDERWIJSNUMMER}`,
        who: NAAM,
        first: VOORNAMEN,
        born: GEBOORTEDATUM,
        bornDate: new Date(`${GEBOORTEDATUM}T00:00:00Z`),
        asNumber: Number(BSN),
        asBigInt: BigInt(ONDERWIJSNUMMER),
        asDigits: 20080314,
        spaced: `${BSN.slice(0, 3)} ${BSN.slice(3, 6)} ${BSN.slice(6)}`,
        dotted: '14.03.2008',
      },
      'fields',
    ),
  'merged object without a message': (log, level) => at(log, level)({ persoon: persoon(), who: NAAM, id: BSN }),
  'identifiers as keys': (log, level) => at(log, level)({ [BSN]: 1, [GEBOORTEDATUM]: true, [ONDERWIJSNUMMER]: { [NAAM]: 2 } }, 'keys'),
  arrays: (log, level) =>
    at(log, level)(
      { list: [BSN, NAAM, GEBOORTEDATUM, Number(ONDERWIJSNUMMER), [persoon()], { naam: NAAM }], rules: [BSN, GEBOORTEDATUM] },
      'arrays',
    ),
  'payloads and bytes': (log, level) =>
    at(log, level)(
      {
        value: JSON.stringify(rawEvent()),
        record: rawEvent(),
        key: Buffer.from(BSN),
        bytes: new TextEncoder().encode(NAAM),
        buffer: Buffer.from(JSON.stringify(rawEvent())),
      },
      'payloads',
    ),
  'maps and sets': (log, level) =>
    at(log, level)(
      {
        byBsn: new Map<unknown, unknown>([
          [BSN, NAAM],
          [ONDERWIJSNUMMER, { geboortedatum: GEBOORTEDATUM }],
        ]),
        names: new Set([NAAM, VOORNAMEN]),
      },
      'collections',
    ),
  'objects that serialise themselves': (log, level) =>
    at(log, level)(
      { custom: { toJSON: () => ({ naam: NAAM, id: BSN }) }, url: new URL(`https://example.org/persons/${BSN}?born=${GEBOORTEDATUM}`) },
      'custom',
    ),
  'format arguments %s %d %i %f': (log, level) =>
    at(log, level)('s=%s d=%d i=%i f=%f s2=%s', NAAM, BSN, Number(ONDERWIJSNUMMER), Number(BSN), GEBOORTEDATUM),
  'format arguments %o %O %j': (log, level) => at(log, level)('o=%o O=%O j=%j j2=%j', persoon(), { who: NAAM, id: BSN }, rawEvent(), NAAM),
  'format arguments after a merged object': (log, level) =>
    at(log, level)({ topic: 't' }, 'x %s %j %o', VOORNAMEN, [BSN, NAAM], new Map([[BSN, NAAM]])),
  'format arguments with an error and %%': (log, level) =>
    at(log, level)('100%% %s %o', new Error(`failed for ${BSN}`), new RecordError('record')),
  'extra arguments beyond the placeholders': (log, level) => at(log, level)('no placeholders', NAAM, BSN, persoon()),
  'an undefined first argument': (log, level) => at(log, level)(undefined, 'then %s', NAAM),
  'a message that is not a string': (log, level) => {
    at(log, level)({}, persoon());
    at(log, level)(Number(BSN));
    at(log, level)(null);
  },
  'identifiers concatenated into the message': (log, level) =>
    at(
      log,
      level,
    )(
      `student ${BSN} (onderwijsnummer ${ONDERWIJSNUMMER}), born ${GEBOORTEDATUM}, 14-03-2008, 20080314, ${BSN.slice(0, 3)}.${BSN.slice(3, 6)}.${BSN.slice(6)}`,
    ),
  'errors: message, stack, cause': (log, level) =>
    at(log, level)(
      {
        err: new Error(`cannot process ${BSN} born ${GEBOORTEDATUM}`, {
          cause: new Error(`inner ${ONDERWIJSNUMMER}`, { cause: { naam: NAAM, id: BSN } }),
        }),
      },
      'failed',
    ),
  'an error subclass with extra properties': (log, level) =>
    at(log, level)({ err: new RecordError(`record of ${BSN}`, { cause: `string cause ${BSN}` }) }, 'failed'),
  'an error without a message (pino uses the error’s)': (log, level) =>
    at(log, level)({ err: new Error(`only the error: ${BSN} ${GEBOORTEDATUM}`) }),
  'an error as the first argument': (log, level) => at(log, level)(new RecordError(`first ${ONDERWIJSNUMMER}`)),
  'an aggregate error': (log, level) =>
    at(log, level)({ err: new AggregateError([new RecordError(`a ${BSN}`), new Error(GEBOORTEDATUM)], 'many') }, 'many'),
  'a parse error that quotes its input': (log, level) => at(log, level)({ err: parseError() }, 'not json'),
  'errors under other fields': (log, level) =>
    at(log, level)({ problem: new RecordError(`p ${BSN}`), list: [new Error(ONDERWIJSNUMMER)] }, 'problems'),
};

describe('createLogger: no person data in any log line', () => {
  for (const [way, call] of Object.entries(CALLS)) {
    it(`given ${way}, when logged at every level, then no identifier appears in any form`, () => {
      const { logger, lines } = capture();
      for (const level of LEVELS) call(logger, level);
      expect(lines().length).toBeGreaterThanOrEqual(LEVELS.length);
      expectNoPersonData(lines());
    });
  }

  it('given child bindings, grandchildren, setBindings and a message prefix, when logged, then none of their identifiers appear', () => {
    const { logger, lines } = capture();
    const child = logger.child({ component: 'c', bsn: BSN, who: NAAM, persoon: persoon(), [ONDERWIJSNUMMER]: 1 });
    const grandchild = child.child({ topic: 't', born: GEBOORTEDATUM, names: [NAAM] }, { msgPrefix: `${BSN} ` });
    grandchild.setBindings({ geboortedatum: GEBOORTEDATUM, recipient: 'svb-kostendelersnorm', ref: ONDERWIJSNUMMER });
    for (const level of LEVELS) {
      child[level]('child');
      grandchild[level]({ offset: '42' }, 'grandchild');
    }
    expectNoPersonData(lines());
    // the context that is allowed stays, from every generation
    const last = JSON.parse(lines().at(-1)!);
    expect(last).toMatchObject({
      service: 'test',
      component: 'c',
      topic: 't',
      recipient: 'svb-kostendelersnorm',
      offset: '42',
      msg: '[redacted] grandchild',
    });
  });

  it('given a child made with formatters or serializers of its own, when logged, then redaction still holds', () => {
    const { logger, lines } = capture();
    const child = (logger.child as unknown as (bindings: object, options: object) => Logger)(
      { component: 'c' },
      {
        formatters: { log: (o: object) => o, bindings: (o: object) => o },
        serializers: { err: (e: unknown) => e, who: (w: unknown) => w },
      },
    );
    child.info({ who: NAAM, persoon: persoon(), err: new RecordError(BSN) }, 'x');
    child.child({ naam: NAAM }).info({ id: BSN }, 'y');
    expectNoPersonData(lines());
    expect(lines()).toHaveLength(2);
  });

  it('given ordinary context, when logged, then it is kept as it was given', () => {
    const { logger, lines } = capture();
    const log = logger.child({ component: 'ingest', topic: 'register.raw.v1' });
    log.warn(
      { partition: 3, offset: '1042', rules: ['persoon.bsn:bsn-elfproef'], eventId: 'sample-001', deadLettered: 2 },
      'raw event refused',
    );
    log.error({ err: Object.assign(new Error('broker down'), { code: 'ECONNREFUSED', retriable: true }) }, 'send failed');
    const [refused, failed] = lines().map((l) => JSON.parse(l));
    expect(refused).toMatchObject({
      level: 'warn',
      service: 'test',
      component: 'ingest',
      topic: 'register.raw.v1',
      partition: 3,
      offset: '1042',
      rules: ['persoon.bsn:bsn-elfproef'],
      eventId: 'sample-001',
      deadLettered: 2,
      msg: 'raw event refused',
    });
    expect(refused.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(failed.err).toMatchObject({ type: 'Error', message: 'broker down', code: 'ECONNREFUSED', retriable: true });
  });

  it('given a name written into the message text by a developer, then no logger can tell it from other words', () => {
    // The boundary of runtime redaction, shown so nobody relies on it: log-messages.unit.spec.ts keeps every
    // log message in the code a literal, so a name can only reach a log line as a field or an argument.
    const { logger, lines } = capture();
    logger.info(`student ${NAAM}`);
    expect(lines()[0]).toContain(NAAM);
  });
});
