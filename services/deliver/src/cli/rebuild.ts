// Rebuilds one projection of a running deliver beside its live projection (services/deliver/src/rebuild.ts)
// and waits for the switch: POST /admin/rebuild/<recipient> with the metrics token, then its status until
// done; prints the report. The running service does the work, so its readers see the old projection
// until the switch and the rebuilt one after it. With several instances, give the URL of the one that
// folds the projection (the writer lease holder; a shared projection: scale down to one first): the
// others answer 409.
//   npm run rebuild -- --recipient <recipient> [--url http://127.0.0.1:8090]
import { createCli, loadConfigOrExit, nonEmpty, Option, parseOrExit } from '@register-feeds/service-kit';
import { settings } from '../config.ts';
import type { RebuildStatus } from '../projection-runner.ts';

// the recipients come from the projections file, so the configuration is read before the command line
const config = loadConfigOrExit('rebuild', {
  httpHost: settings.httpHost,
  httpPort: settings.httpPort,
  metricsToken: settings.metricsToken,
  projections: settings.projections,
});
const program = createCli({
  name: 'rebuild',
  usage: 'npm run rebuild --',
  description:
    'Rebuilds one projection of a running deliver beside its live projection and waits for the switch (reads DELIVER_METRICS_TOKEN).',
})
  .addOption(
    new Option('--recipient <recipient>', 'the projection to rebuild')
      .choices(config.projections.map((p) => p.recipient))
      .makeOptionMandatory(),
  )
  .option('--url <url>', `deliver's read API (default http://${config.httpHost}:${config.httpPort})`, nonEmpty);
parseOrExit(program);
const values = program.opts();
if (!config.metricsToken) {
  process.stderr.write('rebuild: DELIVER_METRICS_TOKEN is not set: the rebuild endpoint needs the metrics token\n');
  process.exit(78);
}
const url = `${values.url ?? `http://${config.httpHost}:${config.httpPort}`}/admin/rebuild/${values.recipient}`;
const headers = { authorization: `Bearer ${config.metricsToken}` };

const started = await fetch(url, { method: 'POST', headers });
if (started.status !== 202) {
  const problem = (await started.json().catch(() => ({}))) as { detail?: string };
  process.stderr.write(`rebuild: not started (${started.status}): ${problem.detail ?? started.statusText}\n`);
  process.exit(1);
}
process.stderr.write(`rebuild of ${values.recipient} started; the live projection serves until the switch\n`);
for (;;) {
  await new Promise((r) => setTimeout(r, 500));
  const status = (await (await fetch(url, { headers })).json()) as RebuildStatus;
  if (status.state === 'running') continue;
  if (status.state === 'failed') {
    process.stderr.write(`rebuild failed: ${status.error}\n`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify(status.report, null, 2)}\n`);
  process.exit(0);
}
