/**
 * The version of a change: (occurredOn, order, recordId), compared in that order. Every row, or every part
 * of a row that different records update, keeps the version of the last change applied to it, and a
 * record whose version is not newer is ignored. That makes a projection idempotent (a duplicate has the
 * same version) and order-tolerant (an older record that arrives late loses to the newer state), so it
 * converges to the same rows whatever the arrival order.
 *
 * All three are the recipient's own (README, Privacy guarantees): occurredOn is the date of the change,
 * order is a keyed, strictly increasing function of the time of day (pseudonymise's order-token.ts), so
 * two changes of one day keep the order they happened in, and recordId, the recipient's keyed id of the
 * change, breaks a tie between changes at the same instant, deterministically (same records, same winner).
 * The register's own eventId and instant are not used: they would be the same for every recipient.
 *
 * Why not the Kafka offset: a recipient topic is keyed per person, so one person's records are in
 * partition order, but offsets only order what was produced, not what happened. A replay after a crash of
 * pseudonymise produces the same changes again at new offsets, a correction in the register can arrive
 * after a later change, and a rebuild reads the feed (not the recipient topic) and has no offsets at all.
 */

import type { EpochDay } from '@register-feeds/register-model';

export interface Version {
  occurredOn: EpochDay;
  order: number;
  recordId: string;
}

export function versionOf(record: { occurredOn: EpochDay; order: number; recordId: string }): Version {
  return { occurredOn: record.occurredOn, order: record.order, recordId: record.recordId };
}

/** Negative when a is older, 0 when the same change, positive when a is newer. recordIds by code unit, never by locale. */
export function compareVersions(a: Version, b: Version): number {
  if (a.occurredOn !== b.occurredOn) return a.occurredOn < b.occurredOn ? -1 : 1;
  if (a.order !== b.order) return a.order < b.order ? -1 : 1;
  if (a.recordId === b.recordId) return 0;
  return a.recordId < b.recordId ? -1 : 1;
}

/** True when candidate is strictly newer than every known version (undefined or null: nothing known yet). */
export function isNewer(candidate: Version, ...known: readonly (Version | null | undefined)[]): boolean {
  return known.every((version) => version === null || version === undefined || compareVersions(candidate, version) > 0);
}

/** The newest of the versions, null when none is known. */
export function newestVersion(...versions: readonly (Version | null | undefined)[]): Version | null {
  let newest: Version | null = null;
  for (const version of versions) {
    if (version !== null && version !== undefined && (newest === null || compareVersions(version, newest) > 0)) newest = version;
  }
  return newest;
}
