import { describe, expect, it } from 'vitest';
import { recipientPages, stalePages } from '../scripts/recipient-docs.ts';

// docs/recipients/*.md are made by scripts/recipient-docs.ts from the agreements, the Avro schemas and the
// projections' row shapes; a change to any of them without `npm run docs:recipients` fails here.

describe('the recipient pages', () => {
  const pages = recipientPages();

  it('are up to date (npm run docs:recipients)', () => {
    expect(stalePages(pages)).toEqual([]);
  });

  it('cover every agreement, with its topic, every Avro field, and for a projection its rows with ISO dates', () => {
    expect([...pages.keys()].sort()).toEqual([
      'ggd-jeugdgezondheid.md',
      'inspectie-onderwijs.md',
      'ocw-minister.md',
      'sbb-stagemarkt.md',
      'svb-kostendelersnorm.md',
    ]);
    const svb = pages.get('svb-kostendelersnorm.md')!;
    expect(svb).toContain('`recipient.svb-kostendelersnorm.v2`');
    expect(svb).toContain('| `inschrijving.begindatum` | date (Avro int, days since 1970-01-01) |');
    expect(svb).toContain('| `enrolments[].begindatum` | date (YYYY-MM-DD) |');
    expect(svb).not.toMatch(/\| `[^`]*version`/i); // deliver's bookkeeping is not a field of the row
    for (const [file, text] of pages) {
      for (const reader of ['```python', '```java', '```sh']) expect(text, file).toContain(reader);
    }
    // recipients without a projection have no API section
    expect(pages.get('ocw-minister.md')).not.toContain('## Its feed and read API');
  });

  it('detect a page that differs', () => {
    const changed = new Map(pages);
    changed.set('sbb-stagemarkt.md', `${pages.get('sbb-stagemarkt.md')}\nedited by hand\n`);
    expect(stalePages(changed)).toEqual(['sbb-stagemarkt.md']);
  });
});
