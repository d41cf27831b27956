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

function stagemarktLines(mirror: StagemarktMirror): string[] {
  const counts = countByStatus(mirror);
  const lines = [
    `Stagemarkt (S-BB), through the read API: ${n(mirror.bpv.size)} BPV rows (and ${n(mirror.enrolments)} enrolment rows)`,
    `  ${counts.map(([status, count]) => `${status} ${n(count)}`).join(' · ')}`,
  ];
  if (mirror.recent.length > 0) {
    lines.push('  changed most recently (status, BRIN, opleiding, leerbedrijf, hours, period):');
    for (const change of mirror.recent) lines.push(`    ${changeText(change)}`);
  } else if (mirror.bpv.size > 0) {
    lines.push('  a few rows (status, BRIN, opleiding, leerbedrijf, hours, period):');
    for (const line of [...mirror.bpv.values()].slice(0, 3)) lines.push(`    ${bpvLineText(line)}`);
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

export function renderView(state: ViewState): string[] {
  const lines = [state.heading, ''];
  if (state.figures) lines.push(...pipelineLines(state.figures, state.rates), '');
  else lines.push('Pipeline: no figures yet', '');
  if (state.apiProblem) lines.push(`Stagemarkt (S-BB): ${state.apiProblem}`, '');
  else if (state.mirror) lines.push(...stagemarktLines(state.mirror), '');
  if (state.figures) lines.push(...recipientLines(state.figures));
  if (state.footer.length > 0) lines.push('', ...state.footer);
  return lines;
}
