/**
 * The projections of the deliver service, one per recipient, each a pure fold over that recipient's
 * records (see projection.ts). The edge holds them as Projection<unknown> and treats them alike; GGD adds
 * sweep (students who turned 18 leave the lists) and rowsOn (the lists as they stand on a date).
 */

// The feed value codec and the row shapes, for readers of the feeds outside deliver (tests, tools, the
// recipient pages' generator): exported here because the package's index.ts re-exports this file whole.
export { decodeFeedValue, encodeFeedValue } from '../feed-value.ts';
export { canonicalJson, checksumOf } from './canonical-json.ts';
export {
  type GgdProjection,
  type GgdRecord,
  type GgdRow,
  type GgdState,
  type GgdStudent,
  ggd,
  schoolKey as ggdSchoolKey,
} from './ggd.ts';
export { type KindName, type ProjectionKind, projectionKinds, type Writers } from './kinds.ts';
export type { Change, Projection, RecordEnvelope } from './projection.ts';
export {
  type FieldShape,
  fieldTable,
  internalPart,
  type ObjectShape,
  publicRow,
  type RowShape,
  rowJsonSchema,
  stateRow,
} from './row-shape.ts';
export { ggdShape, stagemarktShape, svbShape } from './row-shapes.ts';
export {
  type BpvStatus,
  bpvKey,
  type InschrijvingFields,
  type InschrijvingStatus,
  inschrijvingKey,
  type Leerbedrijf,
  type StagemarktBpvRow,
  type StagemarktInschrijvingRow,
  type StagemarktRecord,
  type StagemarktRow,
  type StagemarktState,
  stagemarkt,
} from './stagemarkt.ts';
export { type SvbEnrolment, type SvbRecord, type SvbRemoval, type SvbRow, type SvbState, svb } from './svb.ts';
export { compareVersions, isNewer, newestVersion, type Version, versionOf } from './version.ts';
