/**
 * The version of a change: (occurredAt, eventId), compared in that order. Every row, or every part of a row
 * that different events update, keeps the version of the last change applied to it, and a record whose
 * version is not newer is ignored. That makes a projection idempotent (a duplicate has the same version)
 * and order-tolerant (an older record that arrives late loses to the newer state).
 *
 * Why not the Kafka offset: a recipient topic is keyed per person, so one person's records are in
 * partition order, but offsets only order what was produced, not what happened. A replay after a crash of
 * pseudonymise produces the same changes again at new offsets, a correction in the register can arrive
 * after a later change, and a rebuild reads the feed (not the recipient topic) and has no offsets at all.
 * occurredAt is the register's own time of the change; the eventId breaks ties between two changes in the
 * same millisecond, deterministically (same records, same winner, whatever the arrival order).
 */

import type { EpochMillis } from '@register-feeds/register-model';

export interface Version {
  occurredAt: EpochMillis;
  eventId: string;
}

export function versionOf(record: { occurredAt: EpochMillis; eventId: string }): Version {
  return { occurredAt: record.occurredAt, eventId: record.eventId };
}

/** Negative when a is older, 0 when the same change, positive when a is newer. eventIds by code unit, never by locale. */
export function compareVersions(a: Version, b: Version): number {
  if (a.occurredAt !== b.occurredAt) return a.occurredAt < b.occurredAt ? -1 : 1;
  if (a.eventId === b.eventId) return 0;
  return a.eventId < b.eventId ? -1 : 1;
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
