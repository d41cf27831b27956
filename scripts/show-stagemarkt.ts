// Shows the Stagemarkt projection through the read API, as S-BB sees it: counts by status and a few rows.
// Waits (up to --timeout-s) until the projection is non-empty; exits non-zero if it stays empty.
//   node scripts/show-stagemarkt.ts --api http://127.0.0.1:8090
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { api: { type: 'string', default: 'http://127.0.0.1:8090' }, 'timeout-s': { type: 'string', default: '60' } },
});
const token = (process.env.DELIVER_API_TOKENS ?? '')
  .split(',')
  .map((pair) => pair.split(':'))
  .find(([recipient]) => recipient === 'sbb-stagemarkt')?.[1];
if (!token) {
  process.stderr.write('show-stagemarkt: DELIVER_API_TOKENS has no token for sbb-stagemarkt\n');
  process.exit(2);
}

interface Row {
  kind: string;
  status: string;
  brin: string;
  opleidingscode: string;
  leerbedrijf: { naam: string } | null;
  omvangUren: number | null;
}
async function allRows(): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor: string | undefined;
  do {
    const url = `${values.api}/v1/sbb-stagemarkt/rows?kind=bpv&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const page = (await response.json()) as { rows: Array<{ row: Row }>; next?: string };
    rows.push(...page.rows.map((r) => r.row));
    cursor = page.next;
  } while (cursor);
  return rows;
}

const deadline = Date.now() + Number(values['timeout-s']) * 1000;
let rows = await allRows().catch(() => []);
while (rows.length === 0 && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 500));
  rows = await allRows().catch(() => []);
}
if (rows.length === 0) {
  process.stderr.write(`show-stagemarkt: the Stagemarkt projection at ${values.api} is still empty\n`);
  process.exit(1);
}
const byStatus = new Map<string, number>();
for (const r of rows) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
const out = [`\nStagemarkt (S-BB) through ${values.api}/v1/sbb-stagemarkt/rows: ${rows.length} BPV rows`];
for (const [status, n] of [...byStatus.entries()].sort()) out.push(`  ${String(n).padStart(5)}  ${status}`);
out.push('  a few rows (status, BRIN, opleiding, leerbedrijf, hours):');
for (const r of rows.slice(0, 5))
  out.push(`    ${r.status.padEnd(10)} ${r.brin} ${r.opleidingscode} ${r.leerbedrijf?.naam ?? '-'} ${r.omvangUren ?? '-'}`);
process.stdout.write(`${out.join('\n')}\n`);
