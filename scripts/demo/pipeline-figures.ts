/**
 * The demo's figures of the pipeline, read from the services' own /metrics (docs/operations.md): records
 * in, out and dead-lettered per stage, lag, dead letters by rule, what pseudonymise wrote to each
 * recipient's topic and deliver's projections. Pure: Prometheus text in, figures out; no I/O, no clock.
 * Counters count since each service started, so figures of one `npm start` are differences of two reads.
 */

import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export const STAGES = ['ingest', 'pseudonymise', 'deliver'] as const;
export type Stage = (typeof STAGES)[number];

export interface StageFigures {
  recordsIn: number;
  recordsOut: number;
  deadLettered: number;
  /** records behind the end of the input at the last fetch, over all partitions; undefined: not reported yet */
  lag: number | undefined;
  /** false when the service did not answer /metrics */
  answered: boolean;
}

export interface DeadLetterRule {
  stage: Stage;
  rule: string;
  count: number;
}

export interface RecipientFigures {
  recipient: string;
  /** the recipient topic pseudonymise writes, e.g. recipient.sbb-stagemarkt.v2 */
  topic: string;
  /** records pseudonymise wrote to that topic */
  records: number;
  /** for a recipient deliver projects: records its group read, rows in the read replica, feed changes */
  projection?: { recordsIn: number; rows: number; feedChanges: number };
}

export interface PipelineFigures {
  stages: Record<Stage, StageFigures>;
  deadLetterRules: DeadLetterRule[];
  recipients: RecipientFigures[];
  /** ingest's records out to the canonical events topic (the input of pseudonymise) */
  canonicalEvents: number;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Counter and gauge samples of a Prometheus text page; histograms and summaries are not used here. */
export function samplesOf(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const family of parsePrometheusTextFormat(text)) {
    for (const metric of family.metrics) {
      if (metric.value === undefined) continue;
      samples.push({ name: family.name, labels: metric.labels ?? {}, value: Number(metric.value) });
    }
  }
  return samples;
}

/** ingest, pseudonymise, or deliver-<recipient> (one group per projection) */
export function stageOfGroup(group: string | undefined): Stage | undefined {
  if (group === 'ingest' || group === 'pseudonymise') return group;
  if (group?.startsWith('deliver-')) return 'deliver';
  return undefined;
}

const RECIPIENT_TOPIC = /^recipient\.(.+)\.v\d+$/;

/**
 * Figures from the three services' /metrics pages (undefined: that service did not answer). The pages are
 * read apart, so a service's figures are its own even if another page carries the same names.
 */
export function pipelineFigures(pages: Record<Stage, string | undefined>): PipelineFigures {
  const stages = Object.fromEntries(
    STAGES.map((stage) => [stage, { recordsIn: 0, recordsOut: 0, deadLettered: 0, lag: undefined, answered: pages[stage] !== undefined }]),
  ) as Record<Stage, StageFigures>;
  const rules = new Map<string, DeadLetterRule>();
  const recipients = new Map<string, RecipientFigures>();
  const projections = new Map<string, NonNullable<RecipientFigures['projection']>>();
  const projectionOf = (recipient: string) => {
    let projection = projections.get(recipient);
    if (!projection) {
      projection = { recordsIn: 0, rows: 0, feedChanges: 0 };
      projections.set(recipient, projection);
    }
    return projection;
  };
  let canonicalEvents = 0;

  for (const page of STAGES) {
    const text = pages[page];
    if (text === undefined) continue;
    for (const { name, labels, value } of samplesOf(text)) {
      const stage = stageOfGroup(labels.group);
      switch (name) {
        case 'register_feeds_records_in_total':
          if (stage) stages[stage].recordsIn += value;
          if (stage === 'deliver' && labels.group) projectionOf(labels.group.slice('deliver-'.length)).recordsIn += value;
          break;
        case 'register_feeds_records_out_total': {
          if (!stage) break;
          // a stage's output proper: canonical events, recipient records, feed changes; not its bookkeeping
          // (ingest's seen ids, pseudonymise's audit)
          const topic = labels.topic ?? '';
          const recipient = RECIPIENT_TOPIC.exec(topic)?.[1];
          if (stage === 'ingest' && topic.startsWith('register.events.')) {
            canonicalEvents += value;
            stages.ingest.recordsOut += value;
          }
          if (stage === 'pseudonymise' && recipient) {
            const entry = recipients.get(recipient) ?? { recipient, topic, records: 0 };
            entry.records += value;
            recipients.set(recipient, entry);
            stages.pseudonymise.recordsOut += value;
          }
          if (stage === 'deliver') stages.deliver.recordsOut += value;
          break;
        }
        case 'register_feeds_dead_lettered_total':
          if (stage) stages[stage].deadLettered += value;
          break;
        case 'register_feeds_dead_letter_rules_total': {
          if (!stage || !labels.rule) break;
          const key = `${stage}\u0000${labels.rule}`;
          const entry = rules.get(key) ?? { stage, rule: labels.rule, count: 0 };
          entry.count += value;
          rules.set(key, entry);
          break;
        }
        case 'register_feeds_consumer_lag_records':
          if (stage) stages[stage].lag = (stages[stage].lag ?? 0) + value;
          break;
        case 'register_feeds_projection_rows':
          if (labels.recipient) projectionOf(labels.recipient).rows += value;
          break;
        case 'register_feeds_feed_changes_total':
          if (labels.recipient) projectionOf(labels.recipient).feedChanges += value;
          break;
      }
    }
  }
  for (const [recipient, projection] of projections) {
    const entry = recipients.get(recipient) ?? { recipient, topic: '', records: 0 };
    entry.projection = projection;
    recipients.set(recipient, entry);
  }
  return {
    stages,
    deadLetterRules: [...rules.values()].filter((r) => r.count > 0).sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule)),
    recipients: [...recipients.values()].sort((a, b) => a.recipient.localeCompare(b.recipient)),
    canonicalEvents,
  };
}

/** Records per second per stage between two reads `seconds` apart (a restarted service gives no rate). */
export function stageRates(before: PipelineFigures, after: PipelineFigures, seconds: number): Record<Stage, number | undefined> {
  return Object.fromEntries(
    STAGES.map((stage) => {
      const grown = after.stages[stage].recordsIn - before.stages[stage].recordsIn;
      const known = seconds > 0 && grown >= 0 && before.stages[stage].answered && after.stages[stage].answered;
      return [stage, known ? grown / seconds : undefined];
    }),
  ) as Record<Stage, number | undefined>;
}

/**
 * Why the pipeline has not yet taken in everything since `baseline`, or undefined when it has: ingest
 * read at least `rawPublished` more records, pseudonymise read every canonical event ingest wrote since,
 * each projection read every record pseudonymise wrote to its recipient's topic since, and no stage
 * reports lag. Conservation of counts, not a guess from timing.
 */
export function notCaughtUp(baseline: PipelineFigures, now: PipelineFigures, rawPublished: number): string | undefined {
  for (const stage of STAGES) if (!now.stages[stage].answered) return `${stage} does not answer /metrics`;
  const ingested = now.stages.ingest.recordsIn - baseline.stages.ingest.recordsIn;
  if (ingested < rawPublished) return `ingest read ${ingested} of ${rawPublished} records`;
  const canonical = now.canonicalEvents - baseline.canonicalEvents;
  const pseudonymised = now.stages.pseudonymise.recordsIn - baseline.stages.pseudonymise.recordsIn;
  if (pseudonymised < canonical) return `pseudonymise read ${pseudonymised} of ${canonical} canonical events`;
  for (const recipient of now.recipients) {
    if (!recipient.projection) continue;
    const before = baseline.recipients.find((r) => r.recipient === recipient.recipient);
    const written = recipient.records - (before?.records ?? 0);
    const folded = recipient.projection.recordsIn - (before?.projection?.recordsIn ?? 0);
    if (folded < written) return `deliver read ${folded} of ${written} records for ${recipient.recipient}`;
  }
  for (const stage of STAGES) {
    const lag = now.stages[stage].lag;
    if (lag !== undefined && lag > 0) return `${stage} is ${lag} records behind`;
  }
  return undefined;
}
