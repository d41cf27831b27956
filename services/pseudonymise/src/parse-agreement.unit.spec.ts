import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromEpochDay } from '@register-feeds/register-model';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type Agreement, AgreementError } from './agreement.ts';
import { assertUniqueRecipients, loadAgreements } from './load-agreements.ts';
import { parseAgreement } from './parse-agreement.ts';

const AGREEMENTS = new URL('../../../agreements/', import.meta.url).pathname;
const text = (recipient: string) => readFileSync(join(AGREEMENTS, `${recipient}.yaml`), 'utf8');

/** The GGD agreement as plain data, changed by the test, back to YAML. */
function ggdWith(change: (agreement: Record<string, unknown>) => void): string {
  const agreement = parse(text('ggd-jeugdgezondheid')) as Record<string, unknown>;
  change(agreement);
  return stringify(agreement);
}

function problemsOf(yaml: string, fileName = 'agreements/ggd-jeugdgezondheid.yaml'): string[] {
  try {
    parseAgreement(yaml, fileName);
  } catch (error) {
    expect(error).toBeInstanceOf(AgreementError);
    expect((error as AgreementError).message.startsWith(`${fileName}: `)).toBe(true);
    return [...(error as AgreementError).problems];
  }
  throw new Error('expected an AgreementError');
}

describe('loadAgreements with the reviewed files', () => {
  it('given agreements/, when loaded, then the five recipients of DOMAIN.md are there, sorted', () => {
    expect(loadAgreements(AGREEMENTS).map((a) => a.recipient)).toEqual([
      'ggd-jeugdgezondheid',
      'inspectie-onderwijs',
      'ocw-minister',
      'sbb-stagemarkt',
      'svb-kostendelersnorm',
    ]);
  });

  it('given the GGD file, when parsed, then the conditions, identity and term are read as written', () => {
    const ggd = parseAgreement(text('ggd-jeugdgezondheid'), 'ggd-jeugdgezondheid.yaml');
    expect(ggd.identity).toBe('bsn');
    expect(fromEpochDay(ggd.term.from)).toBe('2025-08-01');
    expect(ggd.term.to).toBeNull();
    expect(ggd.recordWhen).toEqual({ ageBelow: 18 });
    expect(ggd.timePrecision).toBe('date');
    expect(ggd.conditions).toContainEqual({ fields: ['inschrijving.groep'], when: { sectorIn: ['PO'] } });
  });

  it('given the Minister and Inspectie files, when parsed, then they have their own ages and no person number', () => {
    const agreements = loadAgreements(AGREEMENTS);
    const byId = (id: string) => agreements.find((a) => a.recipient === id)!;
    const monthDays = (a: Agreement) => a.ages.map((age) => (age.at.kind === 'month-day' ? `${age.at.month}-${age.at.day}` : age.at.kind));
    expect(monthDays(byId('ocw-minister'))).toEqual(['8-1', '9-30', '10-1', '12-31']);
    expect(monthDays(byId('inspectie-onderwijs'))).toEqual(['8-1', '11-1', '2-1', '5-1']);
    expect(monthDays(byId('sbb-stagemarkt'))).toEqual(['event-date']);
    for (const id of ['ocw-minister', 'inspectie-onderwijs', 'sbb-stagemarkt']) {
      expect(byId(id).identity).toBe('pseudonym');
      expect(byId(id).fields).not.toContain('persoon.nummer');
      expect(byId(id).fields).not.toContain('persoon.geboortedatum');
    }
  });
});

describe('parseAgreement refuses a bad agreement, naming the file and the problem', () => {
  it.each([
    ['an unknown top-level key', (a: Record<string, unknown>) => Object.assign(a, { extraField: 1 }), /extraField: unknown key/],
    [
      'an unknown key in the term',
      (a: Record<string, unknown>) => Object.assign(a, { term: { from: '2025-08-01', to: null, until: 'x' } }),
      /term\.until: unknown key/,
    ],
    [
      'an unknown output field',
      (a: Record<string, unknown>) => (a.fields as string[]).push('persoon.bsn'),
      /unknown output field "persoon\.bsn"/,
    ],
    [
      'an unknown event type',
      (a: Record<string, unknown>) => Object.assign(a, { events: ['InschrijvingGeregistreerd', 'Verhuisd'] }),
      /events\[1\]: unknown event type "Verhuisd"/,
    ],
    [
      'an unknown sector',
      (a: Record<string, unknown>) => Object.assign(a, { sectors: ['PO', 'HBO'] }),
      /sectors\[1\]: unknown sector "HBO"/,
    ],
    [
      'a date that does not exist',
      (a: Record<string, unknown>) => Object.assign(a, { term: { from: '2025-02-29', to: null } }),
      /term\.from: 2025-02-29 does not exist/,
    ],
    [
      'a date in the wrong format',
      (a: Record<string, unknown>) => Object.assign(a, { term: { from: '01-08-2025', to: null } }),
      /term\.from: "01-08-2025" is not a date/,
    ],
    [
      'a term that ends before it begins',
      (a: Record<string, unknown>) => Object.assign(a, { term: { from: '2026-08-01', to: '2026-07-31' } }),
      /term: from is after to/,
    ],
    [
      'persoon.nummer with identity pseudonym',
      (a: Record<string, unknown>) => Object.assign(a, { identity: 'pseudonym' }),
      /persoon\.nummer .* identity pseudonym/,
    ],
    [
      'identity bsn without persoon.nummer',
      (a: Record<string, unknown>) => Object.assign(a, { fields: ['inschrijving.brin'], conditions: [] }),
      /identity bsn needs persoon\.nummer/,
    ],
    [
      'a condition on a field not in fields',
      (a: Record<string, unknown>) => (a.conditions as unknown[]).push({ fields: ['inschrijving.niveau'], when: { sectorIn: ['MBO'] } }),
      /inschrijving\.niveau not in fields/,
    ],
    [
      'an unknown predicate',
      (a: Record<string, unknown>) => (a.conditions as unknown[]).push({ fields: ['persoon.naam'], when: { ageAbove: 12 } }),
      /unknown predicate "ageAbove"/,
    ],
    [
      'two predicates in one when',
      (a: Record<string, unknown>) =>
        (a.conditions as unknown[]).push({ fields: ['persoon.naam'], when: { ageBelow: 12, sectorIn: ['PO'] } }),
      /exactly one of/,
    ],
    [
      'an age limit that is not a whole number',
      (a: Record<string, unknown>) => (a.conditions as unknown[]).push({ fields: ['persoon.naam'], when: { ageBelow: 17.5 } }),
      /ageBelow: must be a whole number/,
    ],
    ['a bad identity', (a: Record<string, unknown>) => Object.assign(a, { identity: 'name' }), /identity: must be bsn or pseudonym/],
    [
      'an unknown time precision',
      (a: Record<string, unknown>) => Object.assign(a, { timePrecision: 'minute' }),
      /timePrecision: must be date, second, millisecond/,
    ],
    [
      'a record condition that is not a predicate',
      (a: Record<string, unknown>) => Object.assign(a, { recordWhen: { olderThan: 3 } }),
      /recordWhen/,
    ],
    ['a missing purpose', (a: Record<string, unknown>) => delete a.purpose, /purpose: is missing/],
    [
      'a field listed twice',
      (a: Record<string, unknown>) => (a.fields as string[]).push('inschrijving.brin'),
      /inschrijving\.brin is listed twice/,
    ],
    [
      'bpv fields without Bpv events',
      (a: Record<string, unknown>) => (a.fields as string[]).push('bpv.status'),
      /bpv\.status only come with Bpv events/,
    ],
    ['leeftijden without ages', (a: Record<string, unknown>) => (a.fields as string[]).push('leeftijden'), /at least one age/],
    [
      'ages without leeftijden',
      (a: Record<string, unknown>) => Object.assign(a, { ages: [{ label: 'x', at: 'event-date' }] }),
      /fields does not list leeftijden/,
    ],
    [
      'an age on 29 February',
      (a: Record<string, unknown>) =>
        Object.assign(a, { fields: [...(a.fields as string[]), 'leeftijden'], ages: [{ label: 'x', at: '02-29' }] }),
      /02-29 is not a day that exists every year/,
    ],
    [
      'an output topic of another recipient',
      (a: Record<string, unknown>) => Object.assign(a, { output: { topic: 'recipient.svb-kostendelersnorm.v1' } }),
      /must be recipient\.ggd-jeugdgezondheid\.v<N>/,
    ],
    [
      'a retention of zero days',
      (a: Record<string, unknown>) => Object.assign(a, { retention: { days: 0 } }),
      /retention\.days: must be a whole number/,
    ],
  ])('given %s, when parsed, then it is refused', (_, change, problem) => {
    expect(problemsOf(ggdWith(change)).join('\n')).toMatch(problem);
  });

  it('given a recipient id that differs from the file name, when parsed, then it is refused', () => {
    expect(problemsOf(text('ggd-jeugdgezondheid'), 'agreements/ggd.yaml')).toContain(
      'recipient: ggd-jeugdgezondheid must equal the file name (ggd)',
    );
  });

  it('given several problems, when parsed, then all are reported at once', () => {
    const problems = problemsOf(ggdWith((a) => Object.assign(a, { identity: 'pseudonym', sectors: ['HBO'], extra: true })));
    expect(problems.length).toBeGreaterThanOrEqual(3);
  });

  it('given YAML with a duplicate key, when parsed, then it is refused as YAML', () => {
    expect(problemsOf(`${text('ggd-jeugdgezondheid')}\nname: again\n`).join()).toMatch(/not valid YAML/);
  });

  it('given a list instead of a mapping, when parsed, then it is refused', () => {
    expect(problemsOf('- just\n- a list\n').join()).toMatch(/must be a mapping/);
  });

  it('given missing keys, when parsed, then each is named once as missing, not also as the wrong type', () => {
    const problems = problemsOf(
      ggdWith((a) => {
        delete a.retention;
        a.term = { from: '2025-08-01' };
        a.conditions = [{ fields: ['persoon.naam'] }];
      }),
    );
    expect(problems).toEqual(['term.to: is missing', 'conditions[0].when: is missing', 'retention: is missing']);
  });

  it('given a refused output field, when parsed, then the rules across fields still judge the accepted ones', () => {
    const problems = problemsOf(
      ggdWith((a) => Object.assign(a, { identity: 'pseudonym', fields: [...(a.fields as string[]), 'persoon.bsn'] })),
    );
    expect(problems.join('\n')).toMatch(/unknown output field "persoon\.bsn"/);
    expect(problems.join('\n')).toMatch(/persoon\.nummer .* identity pseudonym/);
  });

  it('given a sectorIn naming a sector the agreement does not receive, when parsed, then the predicate is named', () => {
    const problems = problemsOf(ggdWith((a) => Object.assign(a, { recordWhen: { sectorIn: ['MBO'] }, sectors: ['PO', 'VO'] })));
    expect(problems).toContain('recordWhen.sectorIn: names MBO, which this agreement does not receive');
  });

  it('given a file name that is not .yaml, when parsed, then that is said beside the content problems', () => {
    expect(problemsOf(text('ggd-jeugdgezondheid'), 'agreements/ggd-jeugdgezondheid.json')).toEqual([
      'file name: an agreement file ends in .yaml',
      'recipient: ggd-jeugdgezondheid must equal the file name (ggd-jeugdgezondheid.json)',
    ]);
  });

  it('given an agreement without the optional keys, when parsed, then they take their defaults', () => {
    const parsed = parseAgreement(
      ggdWith((a) => {
        for (const key of ['conditions', 'recordWhen', 'timePrecision', 'ages', 'snapshots']) delete a[key];
      }),
      'ggd-jeugdgezondheid.yaml',
    );
    expect(parsed).toMatchObject({ conditions: [], recordWhen: null, timePrecision: 'date', ages: [], snapshots: null });
  });

  it('given text with spaces around it, when parsed, then it is trimmed, and text of spaces only is refused', () => {
    expect(
      parseAgreement(
        ggdWith((a) => Object.assign(a, { name: '  GGD  ' })),
        'ggd-jeugdgezondheid.yaml',
      ).name,
    ).toBe('GGD');
    expect(problemsOf(ggdWith((a) => Object.assign(a, { purpose: '   ' })))).toEqual(['purpose: must be a non-empty string']);
  });
});

describe('duplicate recipients', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('given x.yaml and x.yml for one recipient, when the directory is loaded, then it is refused naming both files', () => {
    dir = mkdtempSync(join(tmpdir(), 'agreements-'));
    writeFileSync(join(dir, 'ggd-jeugdgezondheid.yaml'), text('ggd-jeugdgezondheid'));
    writeFileSync(join(dir, 'ggd-jeugdgezondheid.yml'), text('ggd-jeugdgezondheid'));
    expect(() => loadAgreements(dir!)).toThrow(
      /ggd-jeugdgezondheid\.yml: recipient ggd-jeugdgezondheid is already defined in .*ggd-jeugdgezondheid\.yaml/,
    );
  });

  it('given two parsed agreements with one id, when checked, then it is refused', () => {
    const ggd = parseAgreement(text('ggd-jeugdgezondheid'), 'ggd-jeugdgezondheid.yaml');
    expect(() => assertUniqueRecipients([ggd, { ...ggd, source: 'other/ggd-jeugdgezondheid.yaml' }])).toThrow(AgreementError);
  });
});

describe('snapshot deliveries (delivery moments per peildatum, Regeling art. 4 and 7)', () => {
  const agreements = () => loadAgreements(AGREEMENTS);
  const byId = (id: string) => agreements().find((a) => a.recipient === id)!;
  const moments = (a: Agreement) =>
    a.snapshots?.peildata.map((p) => ({
      peildatum: `${p.peildatum.month}-${p.peildatum.day}`,
      deliveries: p.deliveries.map((d) => `${d.at.month}-${d.at.day} ${d.kind}`),
    }));
  const withSnapshots = (snapshots: unknown) =>
    ggdWith((a) => {
      a.snapshots = snapshots;
    });

  it('given the Minister file, then 1 Oct goes on 15 Nov and 8 Mar provisionally and 8 Jul definitively, 1 Feb on 8 Mar and 8 Jul', () => {
    expect(moments(byId('ocw-minister'))).toEqual([
      { peildatum: '10-1', deliveries: ['11-15 provisional', '3-8 provisional', '7-8 definitive'] },
      { peildatum: '2-1', deliveries: ['3-8 provisional', '7-8 definitive'] },
    ]);
    expect(byId('ocw-minister').snapshots?.weekly).toBeNull();
  });

  it('given the Inspectie file, then each quarter of the study year has a provisional and a definitive delivery', () => {
    expect(moments(byId('inspectie-onderwijs'))?.map((p) => p.peildatum)).toEqual(['8-1', '11-1', '2-1', '5-1']);
    for (const p of moments(byId('inspectie-onderwijs')) ?? []) expect(p.deliveries.at(-1)).toBe('7-8 definitive');
  });

  it('given the stream recipients (S-BB, SVB, GGD), then they have no snapshot deliveries', () => {
    for (const id of ['sbb-stagemarkt', 'svb-kostendelersnorm', 'ggd-jeugdgezondheid']) expect(byId(id).snapshots).toBeNull();
  });

  it('given a weekly schedule, when parsed, then its weekday is read, with or without peildata', () => {
    const weekly = parseAgreement(withSnapshots({ weekly: { weekday: 'monday' } }), 'ggd-jeugdgezondheid.yaml');
    expect(weekly.snapshots).toEqual({ peildata: [], weekly: { weekday: 'monday' } });
    const both = parseAgreement(
      withSnapshots({
        weekly: { weekday: 'friday' },
        peildata: [{ peildatum: '10-01', deliveries: [{ at: '11-15', kind: 'definitive' }] }],
      }),
      'ggd-jeugdgezondheid.yaml',
    );
    expect(both.snapshots?.weekly).toEqual({ weekday: 'friday' });
    expect(both.snapshots?.peildata).toHaveLength(1);
  });

  it('given a peildatum that does not exist every year, or a bad kind or weekday, when parsed, then each is named', () => {
    const problems = problemsOf(
      withSnapshots({
        weekly: { weekday: 'maandag' },
        peildata: [{ peildatum: '02-29', deliveries: [{ at: '03-08', kind: 'voorlopig' }] }],
      }),
    );
    expect(problems).toContain('snapshots.peildata[0].peildatum: 02-29 is not a day that exists every year');
    expect(problems.join()).toMatch(/snapshots\.peildata\[0\]\.deliveries\[0\]\.kind: must be provisional or definitive, not "voorlopig"/);
    expect(problems.join()).toMatch(/snapshots\.weekly\.weekday: must be one of monday, .*not "maandag"/);
  });

  it('given deliveries out of order, after the definitive one, or on the peildatum itself, when parsed, then each is refused', () => {
    const problems = problemsOf(
      withSnapshots({
        peildata: [
          {
            peildatum: '10-01',
            deliveries: [
              { at: '03-08', kind: 'provisional' },
              { at: '11-15', kind: 'provisional' },
            ],
          },
          {
            peildatum: '02-01',
            deliveries: [
              { at: '02-01', kind: 'provisional' },
              { at: '07-08', kind: 'definitive' },
              { at: '07-20', kind: 'provisional' },
            ],
          },
        ],
      }),
    );
    expect(problems).toEqual([
      'snapshots.peildata[0].deliveries[1].at: 11-15 must come after 03-08; list the deliveries in the order they happen',
      'snapshots.peildata[1].deliveries[0].at: is the peildatum itself: a delivery comes after the day it is about',
      'snapshots.peildata[1].deliveries[2].kind: nothing comes after the definitive delivery on 07-08',
    ]);
  });

  it('given a delivery in the next calendar year that is still the first such day after the peildatum, then it is in order', () => {
    // 1 May, then 8 Jul, then 15 Sep: the last is in the next study year, still less than a year on
    const parsed = parseAgreement(
      withSnapshots({
        peildata: [
          {
            peildatum: '05-01',
            deliveries: [
              { at: '07-08', kind: 'provisional' },
              { at: '09-15', kind: 'definitive' },
            ],
          },
        ],
      }),
      'ggd-jeugdgezondheid.yaml',
    );
    expect(parsed.snapshots?.peildata[0]?.deliveries.map((d) => d.kind)).toEqual(['provisional', 'definitive']);
  });

  it('given a peildatum listed twice, an empty snapshots mapping, or an unknown key, when parsed, then it is refused', () => {
    const twice = { peildatum: '10-01', deliveries: [{ at: '11-15', kind: 'definitive' }] };
    expect(problemsOf(withSnapshots({ peildata: [twice, twice] }))).toEqual(['snapshots.peildata[1].peildatum: 10-01 is listed twice']);
    expect(problemsOf(withSnapshots({})).join()).toMatch(/snapshots: needs peildata, weekly or both/);
    expect(problemsOf(withSnapshots({ monthly: true })).join()).toMatch(/snapshots\.monthly: unknown key/);
    expect(problemsOf(withSnapshots({ peildata: [{ peildatum: '10-01', deliveries: [] }] })).join()).toMatch(
      /snapshots\.peildata\[0\]\.deliveries: must be a non-empty list/,
    );
  });
});
