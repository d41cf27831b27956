/**
 * The living demo that `npm start` runs once the services are ready and the samples are through: it
 * publishes a seeded batch of generated register events, waits until every stage has taken it in (counts
 * from the services' /metrics, not a timer), shows the screen, and then (without --once) keeps a generated
 * stream flowing at a modest rate and refreshes the screen until it is stopped (SIGINT, SIGTERM).
 * Every figure on the screen comes from the running services (their /metrics and the read API), never
 * from the generator. The generator runs as a child process with --quiet; it is stopped with the demo.
 *
 *   node scripts/demo/demo.ts --seed 1234 [--once] [--batch 5000] [--rate 20]
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createCli, nonEmpty, parseOrExit, wholeNumber } from '@register-feeds/service-kit';
import logUpdate from 'log-update';
import { notCaughtUp, type PipelineFigures, pipelineFigures, STAGES, type Stage, stageRates } from './pipeline-figures.ts';
import { renderView, type ViewState } from './render-view.ts';
import { createStagemarktReader, readMetricsPages } from './sources.ts';
import { BPV_STATUSES, countByStatus, emptyMirror, type StagemarktMirror } from './stagemarkt-mirror.ts';

const root = resolve(import.meta.dirname, '../..');
const seconds = wholeNumber(1, 3600);
const program = createCli({
  name: 'demo',
  usage: 'node scripts/demo/demo.ts',
  description:
    'Feeds the running pipeline with generated register events and shows, from the services’ own /metrics and the read API,\n' +
    'what each stage does, the Stagemarkt projection by status and what each recipient received.',
})
  .requiredOption(
    '--seed <n>',
    'seed of the batch; the live stream uses seed + 1 (fresh event ids: a new seed per run)',
    wholeNumber(0, 99_999_998),
  )
  .option('--once', 'publish the batch, wait until the pipeline has taken it in, show the screen once and exit')
  .option('--batch <events>', 'generated events published first', wholeNumber(0, 1_000_000), 5000)
  .option('--rate <events/s>', 'generated events per second afterwards (without --once)', wholeNumber(1, 10_000), 20)
  .option('--topic <topic>', 'the raw topic ingest reads', nonEmpty, process.env.RAW_TOPIC ?? 'register.raw.v1')
  .option('--api <url>', 'the read API', nonEmpty, `http://127.0.0.1:${process.env.DELIVER_HTTP_PORT ?? '8090'}`)
  .option('--refresh <s>', 'seconds between two reads of the figures', seconds, 2)
  .option('--every <s>', 'when stdout is not a terminal: seconds between two printed screens', seconds, 10)
  .option('--timeout <s>', 'longest wait for the pipeline to take the batch in', seconds, 90);
parseOrExit(program);
const options = program.opts();

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const ports: Record<Stage, number> = {
  ingest: port('INGEST_HEALTH_PORT', 8091),
  pseudonymise: port('PSEUDONYMISE_HEALTH_PORT', 8092),
  deliver: port('DELIVER_HEALTH_PORT', 8093),
};
for (const stage of STAGES) {
  if (!Number.isInteger(ports[stage]) || ports[stage] <= 0) {
    process.stderr.write(`demo: the health port of ${stage} is not set (a port number, as npm start sets it)\n`);
    process.exit(2);
  }
}
const token = (process.env.DELIVER_API_TOKENS ?? '')
  .split(',')
  .map((pair) => pair.split(':'))
  .find(([recipient]) => recipient === 'sbb-stagemarkt')?.[1];
if (!token) {
  process.stderr.write('demo: DELIVER_API_TOKENS has no token for sbb-stagemarkt\n');
  process.exit(2);
}

// a terminal of no size (a pty nobody sized, as under `script`) gets the plain blocks: log-update draws nothing there
const tty = process.stdout.isTTY === true && process.stdout.rows > 0 && process.stdout.columns > 0;
const stagemarkt = createStagemarktReader({ api: options.api, token });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => process.stdout.write(`demo: ${line}\n`);
const count = new Intl.NumberFormat('en-US');

// ---- the generator, a child process: its stdout unused, its stderr passed on (--quiet keeps it empty) ----
let generator: ChildProcess | undefined;
let generatorEnded: string | undefined;
function startGenerator(args: string[]): Promise<number | null> {
  const child = spawn(process.execPath, [resolve(root, 'tools/generator/src/cli.ts'), '--topic', options.topic, '--quiet', ...args], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  generator = child;
  return new Promise((done) => {
    child.once('exit', (code, signal) => {
      if (generator === child) generator = undefined;
      generatorEnded = signal ? `ended by ${signal}` : `ended, exit code ${code}`;
      done(code);
    });
  });
}

let stopping = false;
function stop(exitCode: number) {
  if (stopping) return;
  stopping = true;
  generator?.kill('SIGTERM');
  if (tty) logUpdate.done();
  process.exit(exitCode);
}
process.once('SIGINT', () => stop(130));
process.once('SIGTERM', () => stop(143));
process.once('exit', () => generator?.kill('SIGTERM'));

async function readFigures(): Promise<PipelineFigures> {
  return pipelineFigures(await readMetricsPages(ports));
}

/** The figures once every service answers (they are ready before the demo starts; this only rides out a slow answer). */
async function firstFigures(): Promise<PipelineFigures> {
  const deadline = Date.now() + options.timeout * 1000;
  for (;;) {
    const figures = await readFigures();
    const silent = STAGES.filter((s) => !figures.stages[s].answered);
    if (silent.length === 0) return figures;
    if (Date.now() > deadline) {
      process.stderr.write(`demo: no answer from /metrics of ${silent.join(', ')} (ports ${silent.map((s) => ports[s]).join(', ')})\n`);
      process.exit(1);
    }
    await sleep(500);
  }
}

const sameCounts = (a: PipelineFigures, b: PipelineFigures) =>
  STAGES.every((s) => a.stages[s].recordsIn === b.stages[s].recordsIn && a.stages[s].recordsOut === b.stages[s].recordsOut) &&
  JSON.stringify(a.recipients) === JSON.stringify(b.recipients);

/**
 * Waits until the pipeline has taken in the batch: the counts add up (notCaughtUp) and stay put over two
 * reads, and a read of the API brings no more changes. Returns the figures, the mirror and when.
 */
async function caughtUp(baseline: PipelineFigures, published: number, mirror: StagemarktMirror) {
  const deadline = Date.now() + options.timeout * 1000;
  let previous: PipelineFigures | undefined;
  let why: string | undefined = 'not read yet';
  let lastProgress = Date.now();
  for (;;) {
    const figures = await readFigures();
    why = notCaughtUp(baseline, figures, published);
    if (why === undefined && previous && sameCounts(previous, figures)) {
      const at = Date.now();
      // the API serves deliver's read replica, which follows the feed: done once a read brings nothing new
      const read = await stagemarkt.read(mirror, at).catch(() => undefined);
      if (read) mirror = read.mirror;
      if (read?.changes === 0) return { figures, mirror, at };
      why = read ? undefined : 'the read API does not answer';
    }
    previous = figures;
    if (Date.now() > deadline) {
      process.stderr.write(
        `demo: the pipeline has not taken the batch in after ${options.timeout}s: ${why ?? 'the read API still changes'}\n`,
      );
      process.exit(1);
    }
    if (Date.now() - lastProgress > 10_000) {
      say(`waiting: ${why ?? 'the read API still changes'}`);
      lastProgress = Date.now();
    }
    await sleep(500);
  }
}

const clock = (ms: number) => `${new Date(ms).toISOString().slice(11, 19)} UTC`;

// ---- the batch ----
const baseline = await firstFigures();
let mirror = (await stagemarkt.read(emptyMirror(), Date.now()).catch(() => undefined))?.mirror ?? emptyMirror();
const batchStart = Date.now();
if (options.batch > 0) {
  say(`publishing ${count.format(options.batch)} generated register events to ${options.topic} (seed ${options.seed})`);
  // --active: a few thousand persons at a time move the simulated calendar far enough that BPVs start,
  // end and are removed within the batch (all three Stagemarkt statuses), instead of only starting
  const code = await startGenerator(['--seed', String(options.seed), '--total', String(options.batch), '--active', '3000']);
  if (code !== 0) {
    process.stderr.write(`demo: the generator ${generatorEnded ?? 'failed'}\n`);
    process.exit(1);
  }
  say('waiting until ingest, pseudonymise and deliver have taken them in');
}
const done = await caughtUp(baseline, options.batch, mirror);
mirror = done.mirror;
const batchSeconds = (done.at - batchStart) / 1000;
const batchView: ViewState = {
  heading: `register-feeds demo · ${clock(done.at)} · a batch of ${count.format(options.batch)} generated events (seed ${options.seed}), taken in after ${batchSeconds.toFixed(1)} s`,
  figures: done.figures,
  rates: { perStage: stageRates(baseline, done.figures, batchSeconds), over: `averaged over the batch (${batchSeconds.toFixed(1)} s)` },
  mirror,
  footer: [],
};

if (options.once) {
  process.stdout.write(`\n${renderView(batchView).join('\n')}\n`);
  // what CI checks of a fresh clone's run: a batch makes BPV rows in every status S-BB can see
  const missing = countByStatus(mirror).filter(([status, rows]) => rows === 0 && (BPV_STATUSES as readonly string[]).includes(status));
  if (options.batch > 0 && missing.length > 0) {
    process.stderr.write(`demo: the Stagemarkt projection has no ${missing.map(([status]) => status).join(' or ')} rows after the batch\n`);
    process.exit(1);
  }
  process.exit(0);
}

// ---- the live stream ----
const liveSeed = options.seed + 1;
// many persons (the stream does not run dry) but few at a time: their lives move on quickly, so rows change
void startGenerator(['--seed', String(liveSeed), '--rate', String(options.rate), '--persons', '1000000', '--active', '300']);
const footer = () => [
  `Feeding: the generator sends ${options.rate} events/s to ${options.topic} (seed ${liveSeed})${generator ? '' : `: it ${generatorEnded ?? 'stopped'}`}.`,
  tty
    ? 'Ctrl-C stops the stream, the services and what npm start started.'
    : `Next screen in ${options.every} s; Ctrl-C (or SIGTERM) stops.`,
];
let previous = { figures: done.figures, at: done.at };
let lastPrinted = 0;
if (!tty) process.stdout.write(`\n${renderView(batchView).join('\n')}\n`);
for (;;) {
  await sleep(options.refresh * 1000);
  const at = Date.now();
  const figures = await readFigures();
  let apiProblem: string | undefined;
  try {
    mirror = (await stagemarkt.read(mirror, at)).mirror;
  } catch (error) {
    apiProblem = (error as Error).message;
  }
  const span = (at - previous.at) / 1000;
  const state: ViewState = {
    heading: `register-feeds live demo · ${clock(at)}`,
    figures,
    rates: { perStage: stageRates(previous.figures, figures, span), over: `over the last ${span.toFixed(0)} s` },
    mirror,
    ...(apiProblem ? { apiProblem } : {}),
    footer: footer(),
  };
  previous = { figures, at };
  if (tty) {
    // fitted to the window: lines cut at its width rather than wrapped, detail given up to fit its height
    const { rows, columns } = process.stdout;
    logUpdate(
      renderView(state, rows - 1)
        .map((line) => line.slice(0, columns))
        .join('\n'),
    );
  } else if (at - lastPrinted >= options.every * 1000) {
    lastPrinted = at;
    process.stdout.write(`\n${renderView(state).join('\n')}\n`);
  }
}
