/** A person's whole life in the register: enrolment after enrolment, until a stage says they leave. */

import type { Pending } from './event-builders.ts';
import type { Entry, LifeContext } from './life-cycle.ts';
import { mboEnrolment } from './mbo-life.ts';
import { schoolEnrolment } from './school-life.ts';

export function* personLife(ctx: LifeContext, first: Entry): Generator<Pending, void, void> {
  let entry: Entry | null = first;
  while (entry !== null) {
    entry = entry.sector === 'MBO' ? yield* mboEnrolment(ctx, entry) : yield* schoolEnrolment(ctx, { ...entry, sector: entry.sector });
  }
}
