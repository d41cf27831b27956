/**
 * Many small byte strings (the kept events' Avro) in a few large buffers: a Buffer per event would cost an
 * object of some 100 bytes beside its 150 bytes of data, and keep the slab it was cut from alive. Append
 * only: bytes of an event that a later one replaced stay until the arena goes (at most the history's own
 * size; in practice an enrolment is replaced while standing a few times at most).
 */

const CHUNK_BYTES = 4 << 20;

export interface ByteArena {
  /** copies the bytes in; the handle gives them back */
  add(bytes: Uint8Array): number;
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
  // per handle: chunk, offset in it, length
  let index = new Int32Array(3 * 1024);
  let count = 0;
  return {
    add(bytes) {
      if (used + bytes.length > current.length) {
        current = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes.length));
        chunks.push(current);
        used = 0;
      }
      current.set(bytes, used);
      if (3 * (count + 1) > index.length) {
        const bigger = new Int32Array(index.length * 2);
        bigger.set(index);
        index = bigger;
      }
      index[3 * count] = chunks.length - 1;
      index[3 * count + 1] = used;
      index[3 * count + 2] = bytes.length;
      used += bytes.length;
      held += bytes.length;
      return count++;
    },
    get(handle) {
      if (!Number.isInteger(handle) || handle < 0 || handle >= count) throw new RangeError(`byte arena: no handle ${handle}`);
      const chunk = chunks[index[3 * handle] as number] as Buffer;
      const start = index[3 * handle + 1] as number;
      return chunk.subarray(start, start + (index[3 * handle + 2] as number));
    },
    get bytes() {
      return held;
    },
  };
}
