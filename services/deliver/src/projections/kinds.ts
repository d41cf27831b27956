/**
 * The kinds of projection deliver knows, by the name a projections file uses for them
 * (services/deliver/projections.yaml). A recipient's projection is one of these folds under the
 * recipient's own id; adding a recipient of an existing kind is a line in that file, no code.
 *
 * `writers` says how instances may share the work, which follows from where a fold's rows come from:
 * - `shared`: every row is made from the records of one input partition (rows are per person, and the
 *   recipient topic is keyed by that person), so instances can split the partitions between them.
 * - `single`: a row can change by records from several input partitions, or by state of the whole
 *   projection, so two instances folding different partitions would overwrite each other's rows in the
 *   feed. One instance at a time folds all partitions; the others keep a read replica (writer-lease.ts).
 */

import type { EpochDay } from '@register-feeds/register-model';
import { type TopicEntry, topics } from '@register-feeds/service-kit';
import { type GgdState, ggd } from './ggd.ts';
import type { Change, Projection } from './projection.ts';
import { stagemarkt } from './stagemarkt.ts';
import { svb } from './svb.ts';

export type Writers = 'shared' | 'single';

export interface ProjectionKind {
  /** the fold, under the recipient id the projections file gives it */
  make(recipient: string): Projection<unknown>;
  /** the catalogue entry its feed is made from (partitions, compaction); the name comes from the recipient */
  feed: TopicEntry;
  writers: Writers;
  /**
   * Changes the projection makes of its own, against today (epoch day, Europe/Amsterdam), before every
   * batch and on a timer: the GGD sweep. Only a `single` kind may have it (it touches rows of any partition).
   */
  housekeeping?: (state: unknown, today: EpochDay) => Change<unknown>[];
  /** the rows the read API shows on a day (the later of peildatum and today), when they differ from the state's rows */
  rowsOn?: (state: unknown, day: EpochDay) => Iterable<[string, unknown]>;
}

/** the fold under another recipient id (the folds never read their own id) */
const as = <Row, State, Rec>(projection: Projection<Row, State, Rec>, recipient: string): Projection<unknown> =>
  ({ ...projection, recipient }) as unknown as Projection<unknown>;

export const projectionKinds = {
  /** S-BB Stagemarkt: rows per BPV and enrolment of one pseudonym, the key of the recipient topic */
  stagemarkt: { make: (recipient) => as(stagemarkt, recipient), feed: topics.feedStagemarkt, writers: 'shared' },
  /**
   * SVB: rows per BSN, the key of the recipient topic, but removals age out on the horizon, the newest date
   * of all rows: one record can change the rows of persons on other partitions.
   */
  svb: { make: (recipient) => as(svb, recipient), feed: topics.feedSvb, writers: 'single' },
  /** GGD: rows per school, with students of every partition, a horizon of all records, and the sweep */
  ggd: {
    make: (recipient) => as(ggd, recipient),
    feed: topics.feedGgd,
    writers: 'single',
    housekeeping: (state, today) => ggd.sweep(state as GgdState, today),
    rowsOn: (state, day) => ggd.rowsOn(state as GgdState, day),
  },
} as const satisfies Record<string, ProjectionKind>;

export type KindName = keyof typeof projectionKinds;
