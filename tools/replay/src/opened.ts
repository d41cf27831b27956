/**
 * Bytes inside a record, opened so that rekeying and the leak scan can see what they hold. A dead letter's
 * original value is raw JSON or canonical Avro *as bytes*; a decoded export shows bytes as base64 strings;
 * a JSON field may hold JSON text. Each is opened into an `Opened` (JSON parsed, Avro decoded through the
 * registry, text, or opaque binary) and, after rekeying, closed again into the same carrier and format.
 *
 * Opening and closing are the only I/O here (the Avro codec); what happens to an opened value is pure
 * (rekey.ts, traces.ts, leak-scan.ts).
 */

import type { SchemaRegistryClient } from '@register-feeds/service-kit';
import { jsonReplacer } from './person-data.ts';

export type OpenedFormat = 'json' | 'avro' | 'text' | 'binary' | 'dropped';
/** What the opened bytes travel in: a Buffer, a base64 string, or a string holding JSON text. */
export type Carrier = 'bytes' | 'base64' | 'string';

export class Opened {
  readonly format: OpenedFormat;
  /** json: the parsed value; avro: the decoded value; text: a string; binary: a Buffer; dropped: null */
  readonly content: unknown;
  readonly carrier: Carrier;
  /** avro: the writer schema id, re-used to encode the rekeyed value in the same layout */
  readonly schemaId: number | undefined;
  constructor(format: OpenedFormat, content: unknown, carrier: Carrier, schemaId?: number) {
    this.format = format;
    this.content = content;
    this.carrier = carrier;
    this.schemaId = schemaId;
  }
}

/** The registry, as far as opening and closing need it: undefined where a value cannot be decoded or encoded. */
export interface AvroCodec {
  decode(bytes: Buffer): Promise<{ schemaId: number; value: unknown } | undefined>;
  encode(schemaId: number, value: unknown): Promise<Buffer | undefined>;
}

/** Confluent wire format: magic byte 0, a 4-byte schema id, the Avro body. */
export const isWireFormat = (value: Buffer | null): boolean => value !== null && value.length >= 5 && value[0] === 0;

export function registryCodec(registry: SchemaRegistryClient): AvroCodec {
  return {
    async decode(bytes) {
      try {
        return { schemaId: bytes.readInt32BE(1), value: await registry.decode(bytes) };
      } catch {
        return undefined;
      }
    },
    async encode(schemaId, value) {
      try {
        return await registry.encode(schemaId, value);
      } catch {
        return undefined;
      }
    },
  };
}

/** Deeper than this, bytes stay as they are (and rekeying drops them): no real record nests further. */
const MAX_DEPTH = 6;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Text a person could read: valid UTF-8 without control characters other than whitespace. */
export function isText(bytes: Buffer): boolean {
  const text = bytes.toString('utf8');
  if (Buffer.byteLength(text, 'utf8') !== bytes.length || text.includes('\uFFFD')) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return false;
  }
  return true;
}

function parseJsonText(text: string): { ok: true; json: unknown } | { ok: false } {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[' && first !== '"') return { ok: false };
  try {
    return { ok: true, json: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

async function openBytes(bytes: Buffer, carrier: Carrier, codec: AvroCodec | undefined, depth: number): Promise<Opened> {
  if (depth < MAX_DEPTH) {
    if (codec && isWireFormat(bytes)) {
      const decoded = await codec.decode(bytes);
      if (decoded) return new Opened('avro', await openTree(decoded.value, codec, depth + 1), carrier, decoded.schemaId);
    }
    const text = isText(bytes) ? bytes.toString('utf8') : undefined;
    if (text !== undefined) {
      const parsed = parseJsonText(text);
      if (parsed.ok) return new Opened('json', await openTree(parsed.json, codec, depth + 1), carrier);
      return new Opened('text', text, carrier);
    }
  }
  return new Opened('binary', bytes, carrier);
}

async function openString(text: string, codec: AvroCodec | undefined, depth: number): Promise<unknown> {
  if (depth >= MAX_DEPTH) return text;
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    const parsed = parseJsonText(text);
    if (parsed.ok) return new Opened('json', await openTree(parsed.json, codec, depth + 1), 'string');
  }
  // bytes shown as base64 (a decoded export): opened when they hold JSON, Avro or readable text; a string
  // that merely looks like base64 decodes to noise and stays a string
  if (text.length >= 8 && text.length % 4 === 0 && BASE64.test(text)) {
    const opened = await openBytes(Buffer.from(text, 'base64'), 'base64', codec, depth);
    if (opened.format !== 'binary') return opened;
    if (isWireFormat(opened.content as Buffer)) return opened;
  }
  return text;
}

/** A value with every Buffer, base64 string and JSON text inside it opened. */
export async function openTree(value: unknown, codec: AvroCodec | undefined, depth = 0): Promise<unknown> {
  if (Buffer.isBuffer(value)) return openBytes(value, 'bytes', codec, depth);
  if (typeof value === 'string') return openString(value, codec, depth);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) out.push(await openTree(item, codec, depth));
    return out;
  }
  if (value === null || typeof value !== 'object' || value instanceof Date || value instanceof Opened) return value;
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value)) out[name] = await openTree(child, codec, depth);
  return out;
}

export interface CloseStats {
  /** opened bytes that were dropped, or could not be encoded again: written as null */
  dropped: number;
}

async function closeOpened(opened: Opened, codec: AvroCodec | undefined, stats: CloseStats): Promise<unknown> {
  let bytes: Buffer | undefined;
  let text: string | undefined;
  switch (opened.format) {
    case 'dropped':
      stats.dropped++;
      return null;
    case 'avro': {
      const value = await closeTree(opened.content, codec, stats);
      bytes = opened.schemaId === undefined || !codec ? undefined : await codec.encode(opened.schemaId, value);
      if (bytes === undefined) {
        stats.dropped++;
        return null;
      }
      break;
    }
    case 'json':
      text = JSON.stringify(await closeTree(opened.content, codec, stats), jsonReplacer);
      break;
    case 'text':
      text = opened.content as string;
      break;
    case 'binary':
      bytes = opened.content as Buffer;
      break;
  }
  if (opened.carrier === 'string') return text ?? (bytes as Buffer).toString('latin1');
  const out = bytes ?? Buffer.from(text as string, 'utf8');
  return opened.carrier === 'base64' ? out.toString('base64') : out;
}

/** The value with every Opened closed into its carrier again. */
export async function closeTree(value: unknown, codec: AvroCodec | undefined, stats: CloseStats): Promise<unknown> {
  if (value instanceof Opened) return closeOpened(value, codec, stats);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) out.push(await closeTree(item, codec, stats));
    return out;
  }
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value) || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value)) out[name] = await closeTree(child, codec, stats);
  return out;
}
