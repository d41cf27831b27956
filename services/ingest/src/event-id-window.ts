/**
 * The event ids ingest remembers to drop repeats: a window, not everything ever seen. An id is
 * remembered while it is among the `maxIds` most recently recorded ids (by the time recorded with it)
 * and no older than `maxAgeMs`; a repeat of an id that has left the window is published again.
 *
 * Compact on purpose (a window of 1,000,000 ids is the default): an id is kept as a 128-bit hash in typed
 * arrays: 40 bytes per id, against 77 for the Set<string> ingest kept before and 101 for a
 * Map<string, number> (id -> time) of the same UUIDs (npm run bench:seen-ids; longer ids cost the Set
 * more). The hash is not cryptographic: it guards against accidents, not against the register, which is
 * trusted to send its own events (it could simply leave one out). Two honest ids share a hash with a
 * chance of about n / 2^128 per new id (n ids in the window): never, in practice.
 *
 * Pure: the time comes in as an argument (`now`); nothing here reads a clock or touches Kafka.
 */

export interface DedupWindow {
  /** at most this many ids are remembered: the newest by recorded time */
  readonly maxIds: number;
  /** ids recorded longer ago than this are forgotten */
  readonly maxAgeMs: number;
}

const EMPTY = -1;
const FIRST_CAPACITY = 1024;

export class EventIdWindow {
  readonly #maxIds: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  // entry i: hash words[4i..4i+3], recorded time times[i]
  #words: Uint32Array;
  #times: Float64Array;
  // min-heap of entry indexes by recorded time: the oldest id leaves first, whatever order ids came in
  #heap: Uint32Array;
  #heapSize = 0;
  // where each entry sits in the heap, so a forgotten or expired id leaves it directly
  #pos: Uint32Array;
  // open addressing, linear probing: slot -> entry index or EMPTY
  #table: Int32Array;
  #mask: number;
  #live = 0;
  // entries handed out so far; freed ones are reused first
  #allocated = 0;
  #free: number[] = [];
  #capacity: number;
  // the hash of the id being looked at, reused to avoid an allocation per call
  readonly #h = new Uint32Array(4);

  constructor(window: DedupWindow, now: () => number) {
    if (!Number.isInteger(window.maxIds) || window.maxIds < 1) throw new Error('maxIds must be a whole number of at least 1');
    if (!(window.maxAgeMs > 0)) throw new Error('maxAgeMs must be more than 0');
    this.#maxIds = window.maxIds;
    this.#maxAgeMs = window.maxAgeMs;
    this.#now = now;
    this.#capacity = Math.min(window.maxIds, FIRST_CAPACITY);
    this.#words = new Uint32Array(this.#capacity * 4);
    this.#times = new Float64Array(this.#capacity);
    this.#heap = new Uint32Array(this.#capacity);
    this.#pos = new Uint32Array(this.#capacity);
    this.#table = new Int32Array(tableSizeFor(this.#capacity)).fill(EMPTY);
    this.#mask = this.#table.length - 1;
  }

  /** ids remembered now (expired ones not swept yet count until the next remember or expire) */
  get size(): number {
    return this.#live;
  }

  /** bytes held by the typed arrays: what a remembered id costs, for the benchmarks */
  get bytes(): number {
    return this.#words.byteLength + this.#times.byteLength + this.#heap.byteLength + this.#pos.byteLength + this.#table.byteLength;
  }

  /** whether the id is in the window now: recorded, not pushed out by newer ids, not too old */
  has(id: string): boolean {
    const entry = this.#find(id);
    return entry !== EMPTY && this.#times[entry]! >= this.#now() - this.#maxAgeMs;
  }

  /**
   * Remembers an id as recorded at `recordedAt` (epoch ms). An id already remembered keeps its first
   * time (its first occurrence is what a repeat is measured from). An id older than the window's age, or
   * older than every id in a full window, is not remembered: it is outside the window already.
   */
  remember(id: string, recordedAt: number): void {
    this.expire();
    if (recordedAt < this.#now() - this.#maxAgeMs) return;
    if (this.#find(id) !== EMPTY) return;
    if (this.#free.length === 0 && this.#allocated === this.#capacity) {
      if (this.#capacity < this.#maxIds) this.#grow();
      else {
        // full: the new id takes the oldest one's place, unless it is older still
        if (recordedAt < timeAt(this.#times, this.#heap, 0)) return;
        this.#release(this.#heap[0]!);
      }
    }
    const entry = this.#free.pop() ?? this.#allocated++;
    this.#words.set(this.#h, entry * 4);
    this.#times[entry] = recordedAt;
    this.#insertSlot(entry);
    this.#pushHeap(entry);
    this.#live++;
  }

  /** drops an id (a tombstone in the seen topic) */
  forget(id: string): void {
    const entry = this.#find(id);
    if (entry === EMPTY) return;
    this.#release(entry);
  }

  /** sweeps ids older than the window's age (done on every remember; call it when idle to free room) */
  expire(): void {
    const oldestAllowed = this.#now() - this.#maxAgeMs;
    while (this.#heapSize > 0 && timeAt(this.#times, this.#heap, 0) < oldestAllowed) this.#release(this.#heap[0]!);
  }

  // ---- the structure ----

  /** entry index of the id, or EMPTY; leaves the id's hash in #h (nothing else writes #h) */
  #find(id: string): number {
    const h = this.#h;
    hashId(id, h);
    const words = this.#words;
    for (let slot = h[0]! & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const entry = this.#table[slot]!;
      if (entry === EMPTY) return EMPTY;
      const w = entry * 4;
      if (words[w] === h[0] && words[w + 1] === h[1] && words[w + 2] === h[2] && words[w + 3] === h[3]) return entry;
    }
  }

  /** takes an entry out of the table and the heap, and frees its room */
  #release(entry: number): void {
    this.#removeSlot(entry);
    this.#removeFromHeap(this.#pos[entry]!);
    this.#free.push(entry);
    this.#live--;
  }

  #insertSlot(entry: number): void {
    let slot = this.#words[entry * 4]! & this.#mask;
    while (this.#table[slot] !== EMPTY) slot = (slot + 1) & this.#mask;
    this.#table[slot] = entry;
  }

  /** backward-shift deletion: linear probing stays correct without tombstones in the table */
  #removeSlot(entry: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let slot = this.#words[entry * 4]! & mask;
    while (table[slot] !== entry) slot = (slot + 1) & mask;
    let hole = slot;
    for (let next = (hole + 1) & mask; table[next] !== EMPTY; next = (next + 1) & mask) {
      const home = this.#words[(table[next] as number) * 4]! & mask;
      // an entry may move back into the hole only if its home is not between the hole and where it sits
      const between = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (!between) {
        table[hole] = table[next]!;
        hole = next;
      }
    }
    table[hole] = EMPTY;
  }

  #place(i: number, entry: number): void {
    this.#heap[i] = entry;
    this.#pos[entry] = i;
  }

  #pushHeap(entry: number): void {
    this.#place(this.#heapSize, entry);
    this.#siftUp(this.#heapSize++);
  }

  #removeFromHeap(i: number): void {
    const last = this.#heap[--this.#heapSize]!;
    if (i === this.#heapSize) return;
    this.#place(i, last);
    this.#siftUp(this.#siftDown(i));
  }

  /** moves the entry at i up while it is older than its parent; returns where it ends */
  #siftUp(start: number): number {
    const heap = this.#heap;
    const times = this.#times;
    let i = start;
    const entry = heap[i]!;
    const t = times[entry]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!(t < timeAt(times, heap, parent))) break;
      this.#place(i, heap[parent]!);
      i = parent;
    }
    this.#place(i, entry);
    return i;
  }

  /** moves the entry at i down while a child is older; returns where it ends */
  #siftDown(start: number): number {
    const heap = this.#heap;
    const times = this.#times;
    const n = this.#heapSize;
    let i = start;
    const entry = heap[i]!;
    const t = times[entry]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && timeAt(times, heap, right) < timeAt(times, heap, left) ? right : left;
      if (!(timeAt(times, heap, child) < t)) break;
      this.#place(i, heap[child]!);
      i = child;
    }
    this.#place(i, entry);
    return i;
  }

  /** doubles the arrays (up to maxIds) and rehashes */
  #grow(): void {
    const capacity = Math.min(this.#maxIds, this.#capacity * 2);
    const words = new Uint32Array(capacity * 4);
    words.set(this.#words);
    const times = new Float64Array(capacity);
    times.set(this.#times);
    const heap = new Uint32Array(capacity);
    heap.set(this.#heap);
    const pos = new Uint32Array(capacity);
    pos.set(this.#pos);
    this.#pos = pos;
    this.#words = words;
    this.#times = times;
    this.#heap = heap;
    this.#capacity = capacity;
    this.#table = new Int32Array(tableSizeFor(capacity)).fill(EMPTY);
    this.#mask = this.#table.length - 1;
    for (let i = 0; i < this.#heapSize; i++) this.#insertSlot(heap[i]!);
  }
}

/** the recorded time of the entry at a place in the heap */
const timeAt = (times: Float64Array, heap: Uint32Array, i: number): number => times[heap[i] as number] as number;

/** a table at most half full keeps linear probing short */
function tableSizeFor(capacity: number): number {
  let size = 2;
  while (size < capacity * 2) size *= 2;
  return size;
}

/**
 * 128-bit hash of a string into out[0..3]: four 32-bit lanes of murmur3-style mixing over the UTF-16
 * code units, each lane with its own constants, mixed together at the end (like murmur3_x86_128).
 * Fast enough for the hot path (ids are at most 64 characters); a crypto hash cost 2-5 µs per id here.
 */
export function hashId(id: string, out: Uint32Array): void {
  let h1 = 0x9747b28c ^ id.length;
  let h2 = 0x85ebca6b ^ id.length;
  let h3 = 0xc2b2ae35 ^ id.length;
  let h4 = 0x27d4eb2f ^ id.length;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    h1 = Math.imul(rotl(h1 ^ Math.imul(c, 0xcc9e2d51), 13), 5) + 0xe6546b64;
    h2 = Math.imul(rotl(h2 ^ Math.imul(c, 0x1b873593), 15), 5) + 0x561ccd1b;
    h3 = Math.imul(rotl(h3 ^ Math.imul(c, 0x38b34ae5), 17), 5) + 0x0bcaa747;
    h4 = Math.imul(rotl(h4 ^ Math.imul(c, 0xa1e38b93), 19), 5) + 0x32ac3b17;
  }
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  out[0] = h1;
  out[1] = h2;
  out[2] = h3;
  out[3] = h4;
}

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

function fmix(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x;
}
