// npm run bench:clients [-- --records 100000 --clients kafkajs,platformatic,confluent]
// The Kafka clients side by side on the same broker and topic shape (200-byte records, 6 partitions): producer
// (acks=all, idempotent), consumer, exactly-once passthrough (a transaction per batch, and per ~100 ms) and a
// fencing check, each client in a process of its own (bench/clients/measure-client.ts). Ratios are against kafkajs
// from the same run. The confluent client is measured when CKJS_PATH points at its source build
// (docs/kafka-clients.md), and skipped with a line saying so otherwise.
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { CLIENTS, type ClientName } from './clients/driver.ts';
import type { ClientFigures, Phase } from './clients/measure-client.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    clients: { type: 'string', default: CLIENTS.join(',') },
    'send-size': { type: 'string', default: '1000' },
    'tx-ms': { type: 'string', default: '100' },
  },
});
const clients = (values.clients ?? '').split(',').filter(Boolean) as ClientName[];
const measured: ClientFigures[] = [];
const skipped: string[] = [];

for (const client of clients) {
  process.stderr.write(`bench:clients: measuring ${client}\n`);
  const line = await measureInChild(client);
  const parsed = JSON.parse(line) as ClientFigures | { client: string; skipped: string };
  if ('skipped' in parsed) skipped.push(`${parsed.client}: skipped: ${parsed.skipped}`);
  else measured.push(parsed);
}

const rate = (p: Phase) => p.records / (p.wallMs / 1000);
const cpuPerRecord = (p: Phase) => p.cpuUs / p.records;
const baseline = measured.find((m) => m.client === 'kafkajs');
const ratio = (value: number, base: number | undefined) => (base ? ` (${(value / base).toFixed(2)}×)` : '');

type Row = [label: string, pick: (m: ClientFigures) => Phase | string, kind: 'rate' | 'cpu' | 'start' | 'text'];
const phases: [string, (m: ClientFigures) => Phase][] = [
  ['produce, acks=all idempotent', (m) => m.produce],
  ['consume', (m) => m.consume],
  ['exactly-once passthrough, tx per batch', (m) => m.eosPerBatch],
  [`exactly-once passthrough, tx per ~${values['tx-ms']} ms`, (m) => m.eosTimed],
];
const rows: Row[] = [
  ...phases.flatMap(([label, pick]): Row[] => [
    [`${label}: records/s`, pick, 'rate'],
    [`${label}: CPU µs/record`, pick, 'cpu'],
  ]),
  ['consumer start-up (join + first fetch), ms', (m) => m.consume, 'start'],
  ['transactions in the tx-per-batch run', (m) => m.eosPerBatch, 'text'],
  ['fencing: 2nd producer, same id: 1st commit', (m) => m.fencing, 'text'],
];
const cell = (m: ClientFigures, [, pick, kind]: Row): string => {
  const value = pick(m);
  if (typeof value === 'string') return value;
  const base = baseline ? pick(baseline) : undefined;
  const basePhase = typeof base === 'string' ? undefined : base;
  if (kind === 'rate') return `${rate(value).toFixed(0)}${ratio(rate(value), basePhase && rate(basePhase))}`;
  if (kind === 'cpu') return `${cpuPerRecord(value).toFixed(1)}${ratio(cpuPerRecord(value), basePhase && cpuPerRecord(basePhase))}`;
  if (kind === 'start') return (value.startMs ?? 0).toFixed(0);
  return String(value.transactions ?? '');
};

const lines = [
  '',
  `Kafka clients, ${values.records} records of 200 bytes, 6 partitions, ${values['send-size']} records per send; ` +
    `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ratios against kafkajs from this run`,
  `| measurement | ${measured.map((m) => m.client).join(' | ')} |`,
  `|---|${measured.map(() => '---').join('|')}|`,
  ...rows.map((row) => `| ${row[0]} | ${measured.map((m) => cell(m, row)).join(' | ')} |`),
  ...measured.map((m) => `${m.client}: ${m.version}`),
  ...skipped,
  'CPU is the measuring process only (client and bus; the broker not counted); start-up is not in records/s.',
];
process.stdout.write(`${lines.join('\n')}\n`);

function measureInChild(client: ClientName): Promise<string> {
  const args = [
    'bench/clients/measure-client.ts',
    '--client',
    client,
    '--records',
    values.records ?? '',
    '--send-size',
    values['send-size'] ?? '',
    '--tx-ms',
    values['tx-ms'] ?? '',
  ];
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      const last = stdout.trim().split('\n').at(-1);
      if (error || !last) reject(new Error(`${client}: measuring failed: ${error?.message ?? 'no figures printed'}`));
      else resolve(last);
    });
    child.stderr?.pipe(process.stderr);
  });
}
