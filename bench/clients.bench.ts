// npm run bench:clients [-- --records 100000 --rounds 3 --clients kafkajs,platformatic,confluent]
// The Kafka clients side by side on the same broker and topic shape (200-byte records, 6 partitions): producer
// (acks=all, idempotent), consumer, exactly-once passthrough (a transaction per batch, and per ~100 ms) and a
// fencing check, each client in a process of its own (bench/clients/measure-client.ts). Ratios are against kafkajs
// from the same run. The confluent client is measured when CKJS_PATH points at its source build
// (docs/kafka-clients.md), and skipped with a line saying so otherwise.
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { CLIENTS, type ClientName, FIGURES } from './clients/driver.ts';
import type { ClientFigures, Phase } from './clients/measure-client.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    clients: { type: 'string', default: CLIENTS.join(',') },
    'send-size': { type: 'string', default: '1000' },
    'tx-ms': { type: 'string', default: '100' },
    rounds: { type: 'string', default: '1' },
  },
});
const clients = (values.clients ?? '').split(',').filter(Boolean) as ClientName[];
const rounds = Number(values.rounds);
/** every round's figures per client; the clients take turns, so a noisy minute hits them alike */
const runs = new Map<string, ClientFigures[]>();
const skipped = new Map<string, string>();

for (let round = 1; round <= rounds; round++) {
  for (const client of clients) {
    if (skipped.has(client)) continue;
    process.stderr.write(`bench:clients: measuring ${client}, round ${round} of ${rounds}\n`);
    const parsed = JSON.parse(await measureInChild(client)) as ClientFigures | { client: string; skipped: string };
    if ('skipped' in parsed) skipped.set(client, `${parsed.client}: skipped: ${parsed.skipped}`);
    else runs.set(client, [...(runs.get(client) ?? []), parsed]);
  }
}
const measured = [...runs.values()];

const rate = (p: Phase) => p.records / (p.wallMs / 1000);
const cpuPerRecord = (p: Phase) => p.cpuUs / p.records;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const baseline = runs.get('kafkajs');
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
/** the median over the rounds, and its ratio to kafkajs's median */
const cell = (figures: ClientFigures[], [, pick, kind]: Row): string => {
  const phasesOf = (list: ClientFigures[]) => list.map(pick).filter((v): v is Phase => typeof v !== 'string');
  const texts = [...new Set(figures.map(pick).filter((v): v is string => typeof v === 'string'))];
  if (texts.length > 0) return texts.join(' / ');
  const of = (list: ClientFigures[] | undefined, f: (p: Phase) => number) => (list ? median(phasesOf(list).map(f)) : undefined);
  if (kind === 'rate') return `${(of(figures, rate) ?? 0).toFixed(0)}${ratio(of(figures, rate) ?? 0, of(baseline, rate))}`;
  if (kind === 'cpu')
    return `${(of(figures, cpuPerRecord) ?? 0).toFixed(1)}${ratio(of(figures, cpuPerRecord) ?? 0, of(baseline, cpuPerRecord))}`;
  if (kind === 'start') return (of(figures, (p) => p.startMs ?? 0) ?? 0).toFixed(0);
  return (of(figures, (p) => p.transactions ?? 0) ?? 0).toFixed(0);
};

const lines = [
  '',
  `Kafka clients, ${values.records} records of 200 bytes, 6 partitions, ${values['send-size']} records per send; ` +
    `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; median of ${rounds} round(s); ratios against kafkajs from this run`,
  `| measurement | ${measured.map((m) => m[0]?.client).join(' | ')} |`,
  `|---|${measured.map(() => '---').join('|')}|`,
  ...rows.map((row) => `| ${row[0]} | ${measured.map((m) => cell(m, row)).join(' | ')} |`),
  ...measured.map((m) => `${m[0]?.client}: ${m[0]?.version}`),
  ...skipped.values(),
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
      const last = stdout
        .split('\n')
        .find((line) => line.startsWith(FIGURES))
        ?.slice(FIGURES.length);
      if (error || !last) reject(new Error(`${client}: measuring failed: ${error?.message ?? 'no figures printed'}`));
      else resolve(last);
    });
    child.stderr?.pipe(process.stderr);
  });
}
