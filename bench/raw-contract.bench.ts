// The raw-contract validator on ingest's hot path: ajv (compiled once from schemas/raw-register-event.schema.json,
// custom keywords for the elfproef, the vestiging's BRIN and the date rules) against the hand-written walker
// it replaced. Both take the payload's bytes as ingest gets them (size check, UTF-8, JSON.parse, contract),
// on the same generated events: valid ones, and the same events broken in one to three ways each. Several
// rounds, alternating which validator goes first; the medians are printed, with the ratio.
//
//   npm run bench:raw-contract -- [--events 2000] [--rounds 7] [--seconds 1]
import { parseArgs } from 'node:util';
import { parseRegisterEvent, parseRegisterEventHandWritten } from '@register-feeds/ingest';
import { invalidEvents, validEvents } from './raw-contract-cases.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '7' },
    seconds: { type: 'string', default: '1' },
  },
});
const count = Number(values.events);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
if (![count, rounds, seconds].every((n) => Number.isFinite(n) && n > 0)) {
  process.stderr.write('usage: npm run bench:raw-contract -- [--events N] [--rounds N] [--seconds S] (all positive)\n');
  process.exit(2);
}

type Parse = (bytes: Buffer) => { ok: boolean };
const validators: Record<string, Parse> = { ajv: parseRegisterEvent, 'hand-written': parseRegisterEventHandWritten };

process.stderr.write(`making ${count} valid and ${count} invalid events...\n`);
const valid = validEvents(count);
const inputs = {
  valid: valid.map((e) => Buffer.from(JSON.stringify(e))),
  invalid: invalidEvents(valid).map(({ event }) => Buffer.from(JSON.stringify(event))),
};

// a benchmark of the wrong verdicts would be worth nothing
for (const [name, parse] of Object.entries(validators)) {
  for (const [kind, payloads] of Object.entries(inputs)) {
    const wrong = payloads.filter((p) => parse(p).ok !== (kind === 'valid')).length;
    if (wrong > 0) throw new Error(`${name} gives ${wrong} wrong verdicts on the ${kind} events`);
  }
}

/** Whole passes over the payloads for about `seconds`; microseconds per event. */
function timeOne(parse: Parse, payloads: readonly Buffer[]): number {
  let events = 0;
  let accepted = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  do {
    for (const payload of payloads) if (parse(payload).ok) accepted++;
    events += payloads.length;
  } while (performance.now() < until);
  // (accepted keeps the calls from being optimised away)
  return ((performance.now() - started) * 1000) / events + accepted * 0;
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

// warm-up: both compiled by the JIT before anything counts
for (const parse of Object.values(validators)) for (const payloads of Object.values(inputs)) timeOne(parse, payloads);

const times = new Map<string, number[]>();
/** µs per event of each round, for one validator on one input */
const series = (name: string, kind: string): number[] => {
  const key = `${name}/${kind}`;
  let found = times.get(key);
  if (found === undefined) {
    found = [];
    times.set(key, found);
  }
  return found;
};
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? Object.entries(validators) : Object.entries(validators).reverse();
  for (const [kind, payloads] of Object.entries(inputs)) {
    for (const [name, parse] of order) series(name, kind).push(timeOne(parse, payloads));
  }
  process.stderr.write(`round ${round + 1}/${rounds}\n`);
}

const lines = [
  `raw-contract validation, ${count} valid and ${count} invalid generated events, bytes in (size, UTF-8, JSON.parse, contract), median of ${rounds} rounds of ~${seconds}s`,
  '',
  '| input | validator | events/s | µs/event | range over rounds (µs) |',
  '|---|---|---:|---:|---|',
];
for (const kind of Object.keys(inputs)) {
  for (const name of Object.keys(validators)) {
    const us = series(name, kind);
    const m = median(us);
    lines.push(
      `| ${kind} | ${name} | ${Math.round(1e6 / m).toLocaleString('en')} | ${m.toFixed(2)} | ${Math.min(...us).toFixed(2)}-${Math.max(...us).toFixed(2)} |`,
    );
  }
}
lines.push('');
for (const kind of Object.keys(inputs)) {
  const ratio = median(series('hand-written', kind)) / median(series('ajv', kind));
  lines.push(`${kind}: ajv takes ${(1 / ratio).toFixed(2)}x the time of the hand-written validator (${ratio.toFixed(2)}x its speed)`);
}
process.stdout.write(`${lines.join('\n')}\n`);
