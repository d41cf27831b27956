/**
 * Many small byte strings (the kept events' Avro) in a few large buffers: a Buffer per event would cost an
 * object of some 100 bytes beside its 150 bytes of data, and keep the slab it was cut from alive. Each
 * entry gets a little room to spare, so a later event of the same enrolment (about as long) replaces it in
 * place; one that does not fit is appended, and the old bytes stay until the arena goes.
 */

const CHUNK_BYTES = 4 << 20;
/** room to spare per entry: an einddatum or a longer name added by a later event of the same enrolment */
const SLACK_BYTES = 8;
const FIELDS = 4; // per handle: chunk, offset, length, capacity

export interface ByteArena {
  /** copies the bytes in; the handle gives them back */
  add(bytes: Uint8Array): number;
  /** the bytes of handle replaced by these (in place when they fit); the handle to use from now on */
  replace(handle: number, bytes: Uint8Array): number;
  /** a view of the bytes (not a copy): valid as long as the arena */
  get(handle: number): Buffer;
  /** bytes held, replaced ones included */
  readonly bytes: number;
}

export function createByteArena(): ByteArena {
  const chunks: Buffer[] = [];
  let current = Buffer.allocUnsafe(0);
  let used = 0;
  let held = 0;
  let index = new Int32Array(FIELDS * 1024);
  let count = 0;
  const check = (handle: number) => {
    if (!Number.isInteger(handle) || handle < 0 || handle >= count) throw new RangeError(`byte arena: no handle ${handle}`);
  };
  const add = (bytes: Uint8Array): number => {
    const capacity = bytes.length + SLACK_BYTES;
    if (used + capacity > current.length) {
      current = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, capacity));
      chunks.push(current);
      used = 0;
    }
    current.set(bytes, used);
    if (FIELDS * (count + 1) > index.length) {
      const bigger = new Int32Array(index.length * 2);
      bigger.set(index);
      index = bigger;
    }
    const at = FIELDS * count;
    index[at] = chunks.length - 1;
    index[at + 1] = used;
    index[at + 2] = bytes.length;
    index[at + 3] = capacity;
    used += capacity;
    held += capacity;
    return count++;
  };
  return {
    add,
    replace(handle, bytes) {
      check(handle);
      const at = FIELDS * handle;
      if (bytes.length > (index[at + 3] as number)) return add(bytes);
      (chunks[index[at] as number] as Buffer).set(bytes, index[at + 1] as number);
      index[at + 2] = bytes.length;
      return handle;
    },
    get(handle) {
      check(handle);
      const at = FIELDS * handle;
      const start = index[at + 1] as number;
      return (chunks[index[at] as number] as Buffer).subarray(start, start + (index[at + 2] as number));
    },
    get bytes() {
      return held;
    },
  };
}
