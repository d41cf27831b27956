import { describe, expect, it } from 'vitest';
import { renderProcessingRegister } from './processing-register.ts';
import { agreement, agreements } from './sample-events.test-support.ts';

describe('renderProcessingRegister', () => {
  const text = renderProcessingRegister(agreements);

  it.each(
    agreements.map((a) => [a.recipient]),
  )('given the agreements, when rendered, then %s appears with its name, legal basis, purpose, topic and retention', (recipient) => {
    const a = agreement(recipient);
    // given / when: its own section, up to the next one
    const start = text.indexOf(`## ${a.name} (\`${recipient}\`)`);
    expect(start).toBeGreaterThanOrEqual(0);
    const end = text.indexOf('\n## ', start + 1);
    const section = text.slice(start, end === -1 ? undefined : end);
    // then
    expect(section).toContain(`agreements/${recipient}.yaml`);
    expect(section).toContain(`**Legal basis:** ${a.legalBasis}`);
    expect(section).toContain(`**Purpose:** ${a.purpose}`);
    expect(section).toContain(a.output.topic);
    expect(section).toContain(`${a.retention.days} days`);
  });

  it('given the GGD, when rendered, then its conditions are in words', () => {
    expect(text).toContain(
      '- **Delivered only when:** the student is younger than 18 on the date of the change and on the date of delivery (Europe/Amsterdam)',
    );
    expect(text).toContain('- **Time of a change:** to the date');
    expect(text).toContain(
      '| `inschrijving.groep` | PO group 1 to 8; null outside PO or when not given. | only when the enrolment is in PO |',
    );
  });

  it('given the Minister, when rendered, then the age reference dates and the identity treatment are in words', () => {
    const start = text.indexOf('(`ocw-minister`)');
    const section = text.slice(start, text.indexOf('\n## ', start));
    expect(section).toContain('on 30 September of the study year of the change (its first calendar year)');
    expect(section).toContain('a pseudonym of its own');
  });

  it('given the same agreements in another order, when rendered, then the text is the same (no clock, sorted)', () => {
    expect(renderProcessingRegister([...agreements].reverse())).toBe(text);
  });
});
