import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configurationTables, recipientTopics, topicCatalogue } from '../scripts/docs-tables.ts';

// The README's configuration tables and topic catalogue are generated from the code (node scripts/docs-tables.ts);
// this keeps the copy in the README identical to what the services actually read and create.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('has the configuration tables the services read', () => {
    expect(readme).toContain(configurationTables());
  });

  it('has the topic catalogue the services create', () => {
    expect(readme).toContain(topicCatalogue());
  });

  it('has the recipient topics the agreements define', () => {
    expect(readme).toContain(recipientTopics());
  });

  it('names the two commands that .ci/run and a new user rely on', () => {
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
    expect(readFileSync(new URL('../.ci/run', import.meta.url), 'utf8')).toMatch(/^npm test$/m);
  });
});
