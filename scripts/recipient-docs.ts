// Writes docs/recipients/<recipient>.md, one page per agreement: what the recipient receives, field by
// field, made from the code so the pages cannot drift: the agreement (agreements/*.yaml), its Avro schema
// (pseudonymise's recipientSchema, with the field docs) and, for a recipient deliver keeps a projection
// of, the row shape its feed and read API use (services/deliver/src/projections/row-shapes.ts).
// test/recipient-docs.unit.spec.ts fails when a page is not exactly this output.
// Usage: npm run docs:recipients            (writes the pages)
//        node scripts/recipient-docs.ts --check   (exit 1 when a page is out of date)

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fieldTable, loadProjectionsFile, projectionKinds, type RowShape } from '@register-feeds/deliver';
import { type Agreement, loadAgreements, RECIPIENT_NAMESPACE, recipientSchema } from '@register-feeds/pseudonymise';
import { valueSubject } from '@register-feeds/service-kit';

const ROOT = new URL('..', import.meta.url).pathname;
export const PAGES_DIR = join(ROOT, 'docs', 'recipients');
const BOOTSTRAP = '127.0.0.1:9092';
const REGISTRY = 'http://127.0.0.1:8080/apis/ccompat/v7';
const API = 'http://127.0.0.1:8090';

type AvroType = string | AvroType[] | { type: string; [key: string]: unknown };
interface AvroField {
  name: string;
  doc?: string;
  type: AvroType;
}

/** A cell of a markdown table: no line breaks, no bare pipes. */
const cell = (text: string) => text.replaceAll('\n', ' ').replaceAll('|', '\\|');

function avroTypeName(type: AvroType): string {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const others = type.filter((t) => t !== 'null');
    const name = others.map(avroTypeName).join(' or ');
    return others.length < type.length ? `${name} or null` : name;
  }
  if (type.logicalType === 'date') return 'date (Avro int, days since 1970-01-01)';
  if (type.logicalType === 'timestamp-millis') return 'instant (Avro long, ms since 1970-01-01T00:00Z)';
  if (type.type === 'enum') return (type.symbols as string[]).join(' | ');
  if (type.type === 'array') return `array of ${avroTypeName(type.items as AvroType)}`;
  if (type.type === 'record') return 'record';
  return String(type.type);
}

/** The record fields of a type (a record, a nullable record, an array of records), for nested rows. */
function innerFields(type: AvroType): { fields: AvroField[]; each: boolean } | undefined {
  if (Array.isArray(type)) {
    for (const t of type) {
      const inner = innerFields(t);
      if (inner) return inner;
    }
    return undefined;
  }
  if (typeof type === 'string') return undefined;
  if (type.type === 'record') return { fields: type.fields as AvroField[], each: false };
  if (type.type === 'array') {
    const inner = innerFields(type.items as AvroType);
    return inner && { fields: inner.fields, each: true };
  }
  return undefined;
}

function avroRows(fields: AvroField[], prefix = ''): string[] {
  return fields.flatMap((field) => {
    const name = `${prefix}${field.name}`;
    const row = `| \`${name}\` | ${cell(avroTypeName(field.type))} | ${cell(field.doc ?? '')} |`;
    const inner = innerFields(field.type);
    return inner ? [row, ...avroRows(inner.fields, `${name}${inner.each ? '[]' : ''}.`)] : [row];
  });
}

function shapeTables(shape: RowShape): string[] {
  const table = (fields: Parameters<typeof fieldTable>[0]) => [
    '| field | type | meaning |',
    '|---|---|---|',
    ...fieldTable(fields).map((f) => `| \`${f.name}\` | ${cell(f.type)} | ${cell(f.description)} |`),
  ];
  if (shape.kind === 'object') return [shape.description, '', ...table(shape.fields)];
  return Object.entries(shape.variants).flatMap(([value, variant]) => [
    `**\`${shape.discriminator}: ${value}\`** (\`${variant.title}\`). ${variant.description}`,
    '',
    ...table(variant.fields),
    '',
  ]);
}

const dateText = (epochDay: number) => new Date(epochDay * 86_400_000).toISOString().slice(0, 10);

function pythonReader(agreement: Agreement): string {
  const r = agreement.recipient;
  return [
    '```python',
    '# pip install "confluent-kafka[avro,schemaregistry]"',
    'import os',
    '',
    'from confluent_kafka import Consumer, KafkaException',
    'from confluent_kafka.schema_registry import SchemaRegistryClient',
    'from confluent_kafka.schema_registry.avro import AvroDeserializer',
    'from confluent_kafka.serialization import MessageField, SerializationContext',
    '',
    `topic = os.environ.get("TOPIC", "${agreement.output.topic}")`,
    `registry = SchemaRegistryClient({"url": os.environ.get("SCHEMA_REGISTRY_URL", "${REGISTRY}")})`,
    'deserialize = AvroDeserializer(registry)  # the writer schema by the id in each record',
    'settings = {',
    `    "bootstrap.servers": os.environ.get("KAFKA_BROKERS", "${BOOTSTRAP}"),`,
    `    "group.id": os.environ.get("GROUP_ID", "${r}.example"),  # your principal may use ${r} and ${r}.*`,
    '    "isolation.level": "read_committed",  # records are written in transactions',
    '    "auto.offset.reset": "earliest",',
    '    "enable.auto.commit": False,',
    '}',
    'if os.environ.get("KAFKA_SASL_PASSWORD"):  # a stack with STACK_SECURITY=scram',
    '    settings |= {',
    '        "security.protocol": "SASL_SSL",',
    '        "ssl.ca.location": os.environ["KAFKA_SSL_CA_FILE"],  # the CA the brokers\' certificates are signed by',
    '        "sasl.mechanisms": "SCRAM-SHA-512",',
    `        "sasl.username": "${r}",`,
    '        "sasl.password": os.environ["KAFKA_SASL_PASSWORD"],',
    '    }',
    'consumer = Consumer(settings)',
    'consumer.subscribe([topic])',
    'wanted = int(os.environ.get("MAX_RECORDS", "0"))  # 0: read on for ever',
    'seen = 0',
    'try:',
    '    while wanted == 0 or seen < wanted:',
    '        message = consumer.poll(1.0)',
    '        if message is None:',
    '            continue',
    '        if message.error():',
    '            raise KafkaException(message.error())',
    '        record = deserialize(message.value(), SerializationContext(message.topic(), MessageField.VALUE))',
    '        # dates arrive as datetime.date (Avro logical type date)',
    '        print(message.key().decode(), record["eventType"], record["occurredOn"].isoformat(), record["recordId"])',
    '        consumer.commit(message=message, asynchronous=False)',
    '        seen += 1',
    'finally:',
    '    consumer.close()',
    '```',
  ].join('\n');
}

function javaReader(agreement: Agreement): string {
  const r = agreement.recipient;
  return [
    '```java',
    '// io.confluent:kafka-avro-serializer and org.apache.kafka:kafka-clients',
    'Properties p = new Properties();',
    `p.put("bootstrap.servers", "${BOOTSTRAP}");`,
    `p.put("group.id", "${r}.example");`,
    'p.put("isolation.level", "read_committed");',
    'p.put("auto.offset.reset", "earliest");',
    'p.put("enable.auto.commit", "false");',
    'p.put("key.deserializer", StringDeserializer.class.getName());',
    'p.put("value.deserializer", KafkaAvroDeserializer.class.getName());',
    `p.put("schema.registry.url", "${REGISTRY}");`,
    '// with STACK_SECURITY=scram: security.protocol=SASL_SSL, ssl.truststore.type=PEM, ssl.truststore.location=<the CA',
    '// file, KAFKA_SSL_CA_FILE>, sasl.mechanism=SCRAM-SHA-512 and',
    `// sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${r}" password="...";`,
    'try (KafkaConsumer<String, GenericRecord> consumer = new KafkaConsumer<>(p)) {',
    `  consumer.subscribe(List.of("${agreement.output.topic}"));`,
    '  while (true) {',
    '    for (ConsumerRecord<String, GenericRecord> r : consumer.poll(Duration.ofSeconds(1))) {',
    '      GenericRecord record = r.value(); // occurredOn: int days since 1970-01-01 unless you enable logical types',
    '      System.out.println(r.key() + " " + record.get("eventType") + " " + LocalDate.ofEpochDay((Integer) record.get("occurredOn")));',
    '    }',
    '    consumer.commitSync();',
    '  }',
    '}',
    '```',
  ].join('\n');
}

function kcatReader(agreement: Agreement): string {
  return [
    '```sh',
    `kcat -C -b ${BOOTSTRAP} -t ${agreement.output.topic} -o beginning -e \\`,
    '  -X isolation.level=read_committed \\',
    `  -s value=avro -r ${REGISTRY} \\`,
    "  -f '%k %s\\n'",
    '# with STACK_SECURITY=scram add: -X security.protocol=SASL_SSL -X ssl.ca.location=<the CA file> -X sasl.mechanisms=SCRAM-SHA-512 \\',
    `#   -X sasl.username=${agreement.recipient} -X sasl.password=...`,
    '```',
  ].join('\n');
}

function page(agreement: Agreement, projection: { kind: string; shape: RowShape } | undefined): string {
  const schema = recipientSchema(agreement) as { name: string; doc: string; fields: AvroField[] };
  const r = agreement.recipient;
  const key =
    agreement.identity === 'bsn'
      ? 'the person number (BSN, or onderwijsnummer without one)'
      : `${agreement.name}'s own pseudonym of the student`;
  const lines = [
    `# ${agreement.name} (\`${r}\`)`,
    '',
    `<!-- Generated by \`npm run docs:recipients\` (scripts/recipient-docs.ts) from agreements/${r}.yaml, its Avro schema and the deliver projection; do not edit by hand. -->`,
    '',
    `- **Purpose:** ${agreement.purpose}`,
    `- **Legal basis:** ${agreement.legalBasis}`,
    `- **Term:** from ${dateText(agreement.term.from)}${agreement.term.to === null ? ', open-ended' : ` to ${dateText(agreement.term.to)}`}`,
    `- **Identity:** ${agreement.identity === 'bsn' ? 'the BSN (or onderwijsnummer)' : 'a pseudonym of its own, never the BSN or onderwijsnummer'}`,
    `- **Events:** ${agreement.events.join(', ')}`,
    `- **Sectors:** ${agreement.sectors.join(', ')}`,
    `- **Time of a change:** its ${agreement.timePrecision}`,
    `- **Retention:** ${agreement.retention.days} days`,
    '',
    '## Its topic',
    '',
    `\`${agreement.output.topic}\`: one Avro record per change it may know of, keyed by ${key}. Value schema \`${RECIPIENT_NAMESPACE}.${schema.name}\`, subject \`${valueSubject(agreement.output.topic)}\` in the schema registry (Apicurio, Confluent-compatible API at \`${REGISTRY}\`), Confluent wire format. Written in transactions: read with \`isolation.level=read_committed\`. Kept ${agreement.retention.days} days.`,
    '',
    `${schema.doc}`,
    '',
    '| field | type | meaning |',
    '|---|---|---|',
    ...avroRows(schema.fields),
    '',
  ];
  if (projection) {
    lines.push(
      '## Its feed and read API',
      '',
      `deliver keeps a projection of the topic (kind \`${projection.kind}\`): the current rows, rather than the changes.`,
      '',
      `- **Feed:** \`feed.${r}.v1\` (\`FEED_TOPIC_PREFIX\`), compacted, keyed by the row key, JSON values \`{"row": {...}, "internal": {...}}\`; a tombstone when a row leaves. \`row\` is the row below, exactly as the API serves it; \`internal\` is deliver's own bookkeeping (the versions that order updates) and may change without notice.`,
      `- **API:** \`GET ${API}/v1/${r}/rows?limit=&cursor=&<field>=<value>\` and \`GET ${API}/v1/${r}/rows/<key>\` with \`Authorization: Bearer <token>\`${projection.kind === 'ggd' ? '; `peildatum=YYYY-MM-DD` reads the lists on a date (never before today)' : ''}. Described in \`${API}/openapi.json\`. Every answer has a weak \`ETag\`: send it back as \`If-None-Match\` and get \`304 Not Modified\` without a body while nothing changed. A list answer has \`changes\`: ask \`?changedSince=<changes>\` for only the rows changed since, with the keys of those that left in \`removed\` (410: read everything again). Errors are RFC 9457 problems (\`application/problem+json\`).`,
      '- **Dates** are ISO 8601 (`YYYY-MM-DD`).',
      '',
      '### Rows',
      '',
      ...shapeTables(projection.shape),
    );
    if (lines.at(-1) !== '') lines.push('');
    lines.push(
      '```sh',
      `curl -s -H "Authorization: Bearer $TOKEN" '${API}/v1/${r}/rows?limit=2' -D - -o rows.json   # note the ETag`,
      `curl -s -H "Authorization: Bearer $TOKEN" -H 'If-None-Match: W/"..."' '${API}/v1/${r}/rows?limit=2' -o /dev/null -w '%{http_code}\\n'   # 304 while unchanged`,
      '```',
      '',
    );
  }
  lines.push(
    '## Reading its topic',
    '',
    '### Python (confluent-kafka)',
    '',
    pythonReader(agreement),
    '',
    '### Java',
    '',
    javaReader(agreement),
    '',
    '### kcat',
    '',
    kcatReader(agreement),
    '',
  );
  return lines.join('\n');
}

/** Every page, by file name. */
export function recipientPages(): Map<string, string> {
  const agreements = loadAgreements(join(ROOT, 'agreements'));
  const projections = loadProjectionsFile(join(ROOT, 'services', 'deliver', 'projections.yaml'));
  return new Map(
    agreements.map((agreement) => {
      const entry = projections.find((p) => p.recipient === agreement.recipient);
      const shape = entry && projectionKinds[entry.kind].make(entry.recipient).shape;
      return [`${agreement.recipient}.md`, page(agreement, entry && shape ? { kind: entry.kind, shape } : undefined)];
    }),
  );
}

/** The names of pages that differ from what is generated, are missing, or are left over. */
export function stalePages(pages = recipientPages()): string[] {
  let present: string[] = [];
  try {
    present = readdirSync(PAGES_DIR).filter((f) => f.endsWith('.md'));
  } catch {
    // no directory yet: every page is missing
  }
  const stale = [...pages].filter(([file, text]) => {
    try {
      return readFileSync(join(PAGES_DIR, file), 'utf8') !== text;
    } catch {
      return true;
    }
  });
  return [...stale.map(([file]) => file), ...present.filter((f) => !pages.has(f))];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const pages = recipientPages();
  if (values.check) {
    const stale = stalePages(pages);
    if (stale.length > 0) {
      process.stderr.write(`recipient-docs: out of date: ${stale.join(', ')} (run npm run docs:recipients)\n`);
      process.exit(1);
    }
    process.stdout.write(`recipient-docs: ${pages.size} pages up to date\n`);
  } else {
    mkdirSync(PAGES_DIR, { recursive: true });
    for (const file of readdirSync(PAGES_DIR)) if (file.endsWith('.md') && !pages.has(file)) rmSync(join(PAGES_DIR, file));
    for (const [file, text] of pages) writeFileSync(join(PAGES_DIR, file), text);
    process.stdout.write(`recipient-docs: wrote ${pages.size} pages to docs/recipients/\n`);
  }
}
