// Prints the README's generated tables (configuration per service, topic catalogue) from the code, so the
// docs cannot drift: test/readme.unit.spec.ts fails when README.md does not contain exactly this output.
// Usage: node scripts/docs-tables.ts

import { settings as deliver } from '@register-feeds/deliver';
import { settings as ingest } from '@register-feeds/ingest';
import { camelCaseId, loadAgreements, settings as pseudonymise, RECIPIENT_NAMESPACE } from '@register-feeds/pseudonymise';
import { catalogueMarkdown, describeSettings } from '@register-feeds/service-kit';

export function configurationTables(): string {
  const services = { ingest, pseudonymise, deliver };
  return Object.entries(services)
    .map(([name, settings]) =>
      [`**${name}**`, '', '| variable | default | meaning |', '|---|---|---|', ...describeSettings(settings)].join('\n'),
    )
    .join('\n\n');
}

export function topicCatalogue(): string {
  return catalogueMarkdown();
}

/** One topic per agreement, made by pseudonymise with the agreement's retention. */
export function recipientTopics(): string {
  const rows = loadAgreements(new URL('../agreements', import.meta.url).pathname).map(
    (a) =>
      `| \`${a.output.topic}\` | ${a.identity === 'bsn' ? 'BSN or onderwijsnummer' : 'the recipient’s pseudonym'} | Avro \`${RECIPIENT_NAMESPACE}.${camelCaseId(a.recipient)}Record\`, made from the agreement | 6 | delete | ${a.retention.days} days | ${a.name} |`,
  );
  return ['| topic | key | value | partitions | cleanup | retention | recipient |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${configurationTables()}\n\n${topicCatalogue()}\n\n${recipientTopics()}\n`);
}
