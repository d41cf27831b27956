/**
 * The order of a recipient's records within one day, without the time of day.
 *
 * A recipient gets the date of a change (or a coarser or finer precision its agreement states), not the
 * register's millisecond: that instant is the same in every recipient's record of one change and would
 * join them. But two changes of one enrolment on one day must still be applied in the order they happened,
 * so each record carries an order token: a strictly increasing function of the time of day, drawn at random
 * per recipient key and per day.
 *
 * The function is piecewise linear over ten-second segments. A segment's slope (token units per
 * millisecond) is the product of three random factors of 2^0 to 2^7: one of the segment, one of its quarter
 * of an hour and one of its three hours, from a keyed pseudo-random stream (HMAC-SHA-256 of the key and
 * the day, expanded by SHAKE-256). Independent slopes per segment alone would average out over a long gap
 * (a sum of hundreds of random widths is close to its mean), so tokens would keep the ratios of long gaps;
 * the coarse factors, few per day and each up to 2^7, keep long gaps scrambled too.
 *
 * What it keeps: the order of the day's changes, and that equal instants get equal tokens (ties are then
 * broken by the record id). What it hides: the distances between changes, which are the same for every
 * recipient and would otherwise act as a fingerprint between one recipient's tokens and another's. What it
 * does not hide (README, Privacy guarantees, limits): the order itself, and changes that lie within one
 * quarter of an hour keep their distances roughly (only the ten-second factors differ), exactly so within
 * one ten-second segment. Two tokens of different days are not comparable: the day comes first.
 *
 * Pure and deterministic: the same key, day and instant give the same token, so a replay or a rebuild
 * gives the same order.
 */

import { createHash, createHmac } from 'node:crypto';
import type { EpochDay, EpochMillis } from '@register-feeds/register-model';
import type { RecipientKey } from './keys.ts';
import { hmacKeyOf } from './pseudonym.ts';

const SEGMENT_MS = 10_000;
/**
 * The day's instants are counted from 02:00 the previous evening UTC: Amsterdam's midnight is at 22:00 or
 * 23:00 UTC, and its longest day (the end of summer time) has 25 hours, so every instant of an Amsterdam
 * date lies within 26 hours of that point.
 */
const DAY_START_OFFSET_MS = 2 * 3_600_000;
const SEGMENTS = (26 * 3_600_000) / SEGMENT_MS;
/** segments per quarter of an hour and per three hours */
const QUARTER = (15 * 60_000) / SEGMENT_MS;
const THREE_HOURS = (3 * 3_600_000) / SEGMENT_MS;
const QUARTERS = Math.ceil(SEGMENTS / QUARTER);
const BLOCKS = Math.ceil(SEGMENTS / THREE_HOURS);

/** 2^0 .. 2^7 by a byte of the stream: 2 ** (byte % 8) */
const factorOf = (byte: number): number => 1 << (byte & 7);

/**
 * One key's day: each segment's exponent (its byte % 8, two to a byte), each quarter's coarse factor (its
 * own times its three hours'), and the token where each quarter starts (prefix sums of the quarters'
 * widths). A token then needs at most one quarter's segments summed. Made from the stream in one pass: the
 * prefix sums of every segment of the day took milliseconds per (key, day) and, with events from many days,
 * were remade for most events (half of pseudonymise's CPU in the pipeline benchmark). Every sum is an
 * integer below 2^53, so exact in any order: the tokens are those of the per-segment sums this replaced.
 */
interface DayTable {
  exponents: Uint8Array;
  coarse: Uint16Array;
  quarterStarts: Float64Array;
}

const exponentAt = (exponents: Uint8Array, segment: number): number => ((exponents[segment >> 1] as number) >> ((segment & 1) << 2)) & 7;

/**
 * Per key and day, about 6 KB each, so at most some 24 MB: a table costs a SHAKE-256 of 9.5 KB to make again
 * (some 50 µs), and a replay reads partition after partition, each through the same days, so the cache
 * holds every recipient's tables for more than two years of days.
 */
const cache = new Map<string, DayTable>();
const CACHE_LIMIT = 4096;

function dayTable(key: RecipientKey, day: EpochDay): DayTable {
  const id = `${key.recipient}|${key.version}|${day}`;
  let table = cache.get(id);
  if (table !== undefined) return table;
  const seed = createHmac('sha256', hmacKeyOf(key)).update(`${key.recipient}|order|${day}`, 'utf8').digest();
  const bytes = createHash('shake256', { outputLength: SEGMENTS + QUARTERS + BLOCKS })
    .update(seed)
    .digest();
  const factor = (index: number) => factorOf(bytes[index] as number);
  const exponents = new Uint8Array(Math.ceil(SEGMENTS / 2));
  const coarse = new Uint16Array(QUARTERS);
  const quarterStarts = new Float64Array(QUARTERS + 1);
  for (let q = 0; q < QUARTERS; q++) {
    // a quarter lies within one three-hour block: THREE_HOURS is a whole number of quarters
    coarse[q] = factor(SEGMENTS + q) * factor(SEGMENTS + QUARTERS + Math.floor((q * QUARTER) / THREE_HOURS));
    let sum = 0;
    for (let i = q * QUARTER, end = Math.min(SEGMENTS, (q + 1) * QUARTER); i < end; i++) {
      const exponent = (bytes[i] as number) & 7;
      exponents[i >> 1] = (exponents[i >> 1] as number) | (exponent << ((i & 1) << 2));
      sum += 1 << exponent;
    }
    quarterStarts[q + 1] = (quarterStarts[q] as number) + SEGMENT_MS * sum * (coarse[q] as number);
  }
  table = { exponents, coarse, quarterStarts };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(id, table);
  return table;
}

/**
 * The token of an instant on its Amsterdam date `day`: an integer below 26 h in ms * 2^21 (about 2 * 10^14),
 * exact in a double and in an Avro long. A slope of at least 1 keeps it strictly increasing.
 */
export function orderTokenFor(occurredAt: EpochMillis, day: EpochDay, key: RecipientKey): number {
  const sinceStart = occurredAt - (day * 86_400_000 - DAY_START_OFFSET_MS);
  if (!(sinceStart >= 0 && sinceStart < SEGMENTS * SEGMENT_MS)) {
    throw new RangeError('orderTokenFor: the instant is not on the given day');
  }
  const segment = Math.floor(sinceStart / SEGMENT_MS);
  const { exponents, coarse, quarterStarts } = dayTable(key, day);
  const quarter = Math.floor(segment / QUARTER);
  const quarterFactor = coarse[quarter] as number;
  let within = 0;
  for (let i = quarter * QUARTER; i < segment; i++) within += 1 << exponentAt(exponents, i);
  const from = (quarterStarts[quarter] as number) + SEGMENT_MS * within * quarterFactor;
  const slope = (1 << exponentAt(exponents, segment)) * quarterFactor;
  return from + (sinceStart - segment * SEGMENT_MS) * slope;
}
