/**
 * The demo's screen as lines of plain text: the pipeline per stage (records, events/s, lag, dead
 * letters), dead letters by rule, the Stagemarkt projection by status with the rows that changed most
 * recently, and what each recipient received. Pure: the same figures give the same lines; the caller
 * writes them in place (a terminal) or as a block (a log). No colours, so a log reads as the screen did.
 */

import { type PipelineFigures, STAGES, type Stage } from './pipeline-figures.ts';
import { type BpvLine, countByStatus, type RecentChange, type StagemarktMirror } from './stagemarkt-mirror.ts';

export interface ViewState {
  /** the first line, e.g. "register-feeds live demo · 04:31:07 UTC" */
  heading: string;
  figures: PipelineFigures | undefined;
  /** events/s per stage, and over what they were measured ("last 2 s") */
  rates?: { perStage: Record<Stage, number | undefined>; over: string };
  mirror: StagemarktMirror | undefined;
  /** what went wrong reading the API, if it did (shown instead of the projection) */
  apiProblem?: string;
  /** lines at the end: what feeds the pipeline, how to stop */
  footer: readonly string[];
}

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const n = (value: number | undefined): string => (value === undefined ? '-' : whole.format(value));
const rate = (value: number | undefined): string => (value === undefined ? '-' : oneDecimal.format(value));
const right = (value: string, width: number) => value.padStart(width);

export function bpvLineText({ status, brin, opleidingscode, leerbedrijf, omvangUren, begindatum, einddatum }: BpvLine): string {
  const period = `${begindatum ?? '?'} to ${einddatum ?? '?'}`;
  return `${status.padEnd(10)} ${brin} ${opleidingscode} ${(leerbedrijf ?? '-').padEnd(28).slice(0, 28)} ${right(omvangUren === null ? '-' : `${omvangUren} h`, 7)}  ${period}`;
}

function changeText(change: RecentChange): string {
  const what = change.was === undefined ? 'new' : change.was === change.line.status ? 'changed' : `was ${change.was}`;
  return `${new Date(change.at).toISOString().slice(11, 19)}  ${what.padEnd(14)} ${bpvLineText(change.line)}`;
}

function pipelineLines(figures: PipelineFigures, rates: ViewState['rates']): string[] {
  const lines = [
    `Pipeline (the services' /metrics)  ${'records in'.padStart(10)} ${'out'.padStart(9)} ${`events/s`.padStart(9)} ${'lag'.padStart(7)} ${'dead letters'.padStart(13)}`,
  ];
  for (const stage of STAGES) {
    const s = figures.stages[stage];
    if (!s.answered) {
      lines.push(`  ${stage.padEnd(32)} (no answer from /metrics)`);
      continue;
    }
    lines.push(
      `  ${stage.padEnd(32)} ${right(n(s.recordsIn), 10)} ${right(n(s.recordsOut), 9)} ${right(rate(rates?.perStage[stage]), 9)} ${right(n(s.lag), 7)} ${right(n(s.deadLettered), 13)}`,
    );
  }
  if (rates) lines.push(`  events/s: records in per second, ${rates.over}`);
  if (figures.deadLetterRules.length === 0) lines.push('  dead letters by rule: none');
  else {
    lines.push('  dead letters by rule:');
    const cells = figures.deadLetterRules.map((r) => `${r.stage} ${r.rule} ${n(r.count)}`);
    for (let i = 0; i < cells.length; i += 4) lines.push(`    ${cells.slice(i, i + 4).join(' · ')}`);
  }
  return lines;
}

/** `rowsShown`: at most this many rows under the counts (the latest changes, or else a few rows) */
function stagemarktLines(mirror: StagemarktMirror, rowsShown: number): string[] {
  const counts = countByStatus(mirror);
  const lines = [
    `Stagemarkt (S-BB), through the read API: ${n(mirror.bpv.size)} BPV rows (and ${n(mirror.enrolments)} enrolment rows)`,
    `  ${counts.map(([status, count]) => `${status} ${n(count)}`).join(' · ')}`,
  ];
  if (rowsShown <= 0) return lines;
  if (mirror.recent.length > 0) {
    lines.push('  changed most recently (status, BRIN, opleiding, leerbedrijf, hours, period):');
    for (const change of mirror.recent.slice(0, rowsShown)) lines.push(`    ${changeText(change)}`);
  } else if (mirror.bpv.size > 0) {
    lines.push('  a few rows (status, BRIN, opleiding, leerbedrijf, hours, period):');
    for (const line of [...mirror.bpv.values()].slice(0, Math.min(3, rowsShown))) lines.push(`    ${bpvLineText(line)}`);
  }
  return lines;
}

function recipientLines(figures: PipelineFigures): string[] {
  const lines = [`Recipients received ${'records'.padStart(38)} ${'projection rows'.padStart(16)} ${'feed changes'.padStart(13)}`];
  for (const r of figures.recipients) {
    lines.push(
      `  ${r.recipient.padEnd(22)} ${(r.topic || '-').padEnd(33)} ${right(n(r.records), 8)} ${right(n(r.projection?.rows), 16)} ${right(n(r.projection?.feedChanges), 13)}`,
    );
  }
  if (figures.recipients.length === 0) lines.push('  nothing yet');
  return lines;
}

function fullView(state: ViewState, rowsShown: number, rulesInFull: boolean): string[] {
  const lines = [state.heading, ''];
  if (state.figures) {
    const figures = rulesInFull
      ? state.figures
      : // one line instead of the rules: how many rules, how many records
        { ...state.figures, deadLetterRules: [] };
    lines.push(...pipelineLines(figures, state.rates));
    if (!rulesInFull && state.figures.deadLetterRules.length > 0) {
      lines.pop();
      const records = state.figures.deadLetterRules.reduce((sum, r) => sum + r.count, 0);
      lines.push(
        `  dead letters by rule: ${state.figures.deadLetterRules.length} rules broken ${n(records)} times (a taller window lists them)`,
      );
    }
    lines.push('');
  } else lines.push('Pipeline: no figures yet', '');
  if (state.apiProblem) lines.push(`Stagemarkt (S-BB): ${state.apiProblem}`, '');
  else if (state.mirror) lines.push(...stagemarktLines(state.mirror, rowsShown), '');
  if (state.figures) lines.push(...recipientLines(state.figures));
  if (state.footer.length > 0) lines.push('', ...state.footer);
  return lines;
}

/**
 * The screen; with `maxLines` (a terminal's height) it gives up detail to fit, least useful first: the
 * recently changed rows one by one, then the dead-letter rules (summed on one line), and only then cuts the end.
 */
export function renderView(state: ViewState, maxLines = Number.POSITIVE_INFINITY): string[] {
  const rows = Math.max(state.mirror?.recent.length ?? 0, 3);
  for (const rulesInFull of [true, false]) {
    for (let shown = rows; shown >= 0; shown--) {
      const lines = fullView(state, shown, rulesInFull);
      if (lines.length <= maxLines) return lines;
    }
  }
  return fullView(state, 0, false).slice(0, Math.max(0, maxLines));
}
