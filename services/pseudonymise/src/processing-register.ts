/**
 * The register of processing (verwerkingsregister) as a privacy officer reads it: per recipient who gets
 * what, under which legal basis, for which purpose, how the person is identified, on which conditions,
 * for how long, on which topic (DOMAIN.md rule 5, art. 12 and 30 AVG). Made from the same agreements the
 * service runs on, so the text cannot drift from what is delivered. Pure: no date of printing in it.
 */

import { basename } from 'node:path';
import { fromEpochDay } from '@register-feeds/register-model';
import type { AgeAt } from './ages.ts';
import type { Agreement } from './agreement.ts';
import { ENVELOPE_FIELDS, OUTPUT_FIELDS } from './output-fields.ts';
import { describePredicate } from './predicates.ts';
import { pseudonymUse } from './record-layout.ts';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function describeAgeAt(at: AgeAt): string {
  if (at.kind === 'event-date') return 'on the date of the change (Europe/Amsterdam)';
  const half = at.month >= 8 ? 'first' : 'second';
  return `on ${at.day} ${MONTHS[at.month - 1]} of the study year of the change (its ${half} calendar year)`;
}

function describeIdentity(agreement: Agreement): string {
  switch (pseudonymUse(agreement)) {
    case 'always':
      return 'a pseudonym of its own (keyed HMAC-SHA-256, unlinkable to other recipients); never the BSN or onderwijsnummer';
    case 'never':
      return 'the BSN or onderwijsnummer';
    case 'when-number-withheld':
      return 'the BSN or onderwijsnummer when its condition holds; otherwise a pseudonym of its own, never the number';
  }
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|');
}

function renderAgreement(agreement: Agreement): string {
  const term = `${fromEpochDay(agreement.term.from)} to ${agreement.term.to === null ? 'open-ended' : fromEpochDay(agreement.term.to)} (inclusive, Europe/Amsterdam)`;
  const use = pseudonymUse(agreement);
  const envelope: [keyof typeof ENVELOPE_FIELDS, string][] = [
    ['recordId', 'always (envelope)'],
    ['eventType', 'always (envelope)'],
    ['occurredOn', 'always (envelope)'],
    ['order', 'always (envelope)'],
  ];
  if (agreement.timePrecision !== 'date') envelope.push(['occurredAt', `always (envelope), to the ${agreement.timePrecision}`]);
  if (use === 'always') envelope.push(['persoon.pseudonym', 'always (envelope)']);
  if (use === 'when-number-withheld') envelope.push(['persoon.pseudonym', 'instead of persoon.nummer, when that is withheld']);
  const lines = [
    `## ${agreement.name} (\`${agreement.recipient}\`)`,
    '',
    `- **Legal basis:** ${agreement.legalBasis}`,
    `- **Purpose:** ${agreement.purpose}`,
    `- **Term:** ${term}; outside it nothing is delivered`,
    `- **Person identified by:** ${describeIdentity(agreement)}`,
    `- **Changes delivered:** ${agreement.events.join(', ')}`,
    ...(agreement.recordWhen === null ? [] : [`- **Delivered only when:** ${describePredicate(agreement.recordWhen)}`]),
    `- **Time of a change:** to the ${agreement.timePrecision}`,
    `- **Sectors:** ${agreement.sectors.join(', ')}`,
    `- **Retention:** ${agreement.retention.days} days, then destroyed`,
    `- **Output topic:** \`${agreement.output.topic}\``,
    `- **Agreement file:** \`agreements/${basename(agreement.source)}\``,
    '',
    '| field | what it is | sent |',
    '|---|---|---|',
    ...envelope.map(([name, when]) => `| \`${name}\` | ${escapeCell(ENVELOPE_FIELDS[name].doc)} | ${when} |`),
    ...agreement.fields.map((name) => {
      const conditions = agreement.conditions.filter((condition) => condition.fields.includes(name));
      const when = conditions.length === 0 ? 'always' : `only when ${conditions.map((c) => describePredicate(c.when)).join(' and ')}`;
      return `| \`${name}\` | ${escapeCell(OUTPUT_FIELDS[name].doc)} | ${when} |`;
    }),
  ];
  if (agreement.ages.length > 0) {
    lines.push(
      '',
      'Ages instead of the birth date:',
      '',
      ...agreement.ages.map((age) => `- \`${age.label}\`: age ${describeAgeAt(age.at)}`),
    );
  }
  return lines.join('\n');
}

export function renderProcessingRegister(agreements: readonly Agreement[]): string {
  const sorted = [...agreements].sort((a, b) => (a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0));
  return [
    '# Register of processing: recipients of the education register feeds',
    '',
    'Made from the agreement files the pseudonymise service runs on. A field not listed for a recipient is never sent to it;',
    'a field with a condition is left out of a record when the condition does not hold.',
    '',
    ...sorted.map(renderAgreement).flatMap((text) => [text, '']),
  ].join('\n');
}
