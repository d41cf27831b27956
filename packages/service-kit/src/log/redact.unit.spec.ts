import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { REDACTED, redact, scrubText } from './redact.ts';

const BSN = '123456782'; // a test number that passes the elfproef

describe('redact', () => {
  it('replaces person fields at any depth, whatever their case or separator', () => {
    const input = {
      eventId: 'e-1',
      persoon: { BSN: BSN, geboorte_datum: '2008-01-01', naam: { voornamen: 'Test', achternaam: 'Persoon' } },
      nested: [{ deep: { Onderwijsnummer: '100000009', birthDate: '2010-02-03' } }],
    };
    expect(redact(input)).toEqual({
      eventId: 'e-1',
      persoon: { BSN: REDACTED, geboorte_datum: REDACTED, naam: REDACTED },
      nested: [{ deep: { Onderwijsnummer: REDACTED, birthDate: REDACTED } }],
    });
  });

  it('never prints message payloads or raw bytes', () => {
    expect(redact({ value: { anything: 1 }, key: Buffer.from(BSN) })).toEqual({ value: '[payload]', key: '[9 bytes]' });
  });

  it('scrubs nine-digit numbers and ISO dates from free text and errors', () => {
    expect(scrubText(`bad bsn ${BSN} born 2008-01-01, offset 1234567890`)).toBe(`bad bsn ${REDACTED} born ${REDACTED}, offset 1234567890`);
    const error = new Error(`cannot process ${BSN}`, { cause: new Error(`inner ${BSN}`) });
    expect(redact(error)).toMatchObject({ type: 'Error', message: `cannot process ${REDACTED}`, cause: { message: `inner ${REDACTED}` } });
    expect(redact({ n: 123456782 })).toEqual({ n: REDACTED });
  });
});

describe('createLogger', () => {
  it('writes JSON lines from which no BSN, name or birth date can be read', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(...chunk.toString().trim().split('\n'));
        done();
      },
    });
    const logger = createLogger({ service: 'test', destination }).child({ component: 'c', bsn: BSN });
    logger.info({ record: { persoon: { bsn: BSN } }, naam: 'Test Persoon', offset: '42' }, `handled ${BSN}`);
    logger.error({ err: new Error(`failed for ${BSN} born 2008-01-01`) }, 'failed');
    logger.warn(`person ${BSN} skipped`);
    await new Promise((r) => setImmediate(r));

    const text = lines.join('\n');
    expect(lines).toHaveLength(3);
    expect(text).not.toContain(BSN);
    expect(text).not.toContain('Test Persoon');
    expect(text).not.toContain('2008-01-01');
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({ service: 'test', component: 'c', offset: '42', level: 'info' });
    expect(JSON.parse(lines[1]!).err.message).toBe(`failed for ${REDACTED} born ${REDACTED}`);
  });
});
