/**
 * The export file: one JSON object per line, one line per record. Bytes travel as base64 so any value
 * survives; with --decode the value is there as JSON instead (valueJson), plus the schema id it was
 * written with when it came through the registry. Pure, round-trip tested.
 */

export interface ExportedRecord {
  partition: number;
  offset: string;
  /** epoch milliseconds, as Kafka's are */
  timestamp: string;
  key: Buffer | null;
  headers: Record<string, Buffer>;
  /** raw bytes; absent when valueJson is given */
  value?: Buffer | null;
  valueJson?: unknown;
  valueSchemaId?: number;
}

interface Line {
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  headers: Record<string, string>;
  value?: string | null;
  valueJson?: unknown;
  valueSchemaId?: number;
}

export class LineError extends Error {
  override name = 'LineError';
  readonly isTrusted = true;
  readonly retriable = false;
}

const b64 = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString('base64'));

export function encodeLine(record: ExportedRecord, replacer?: (key: string, value: unknown) => unknown): string {
  const line: Line = {
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: b64(record.key),
    headers: Object.fromEntries(Object.entries(record.headers).map(([name, v]) => [name, v.toString('base64')])),
  };
  if ('valueJson' in record && record.valueJson !== undefined) {
    line.valueJson = record.valueJson;
    if (record.valueSchemaId !== undefined) line.valueSchemaId = record.valueSchemaId;
  } else {
    line.value = b64(record.value ?? null);
  }
  return JSON.stringify(line, replacer);
}

/** Parses one line; `where` (e.g. "line 12") goes into the error, never the content. */
export function decodeLine(text: string, where = 'line'): ExportedRecord {
  let line: Partial<Line>;
  try {
    line = JSON.parse(text) as Partial<Line>;
  } catch {
    throw new LineError(`${where} is not JSON`);
  }
  if (line === null || typeof line !== 'object') throw new LineError(`${where} is not a JSON object`);
  if (!Number.isInteger(line.partition) || (line.partition as number) < 0)
    throw new LineError(`${where}: partition must be a whole number >= 0`);
  if (typeof line.offset !== 'string' || !/^\d+$/.test(line.offset)) throw new LineError(`${where}: offset must be a decimal string`);
  const bytes = (v: unknown, field: string): Buffer | null => {
    if (v === null) return null;
    if (typeof v !== 'string') throw new LineError(`${where}: ${field} must be base64 or null`);
    return Buffer.from(v, 'base64');
  };
  const headers: Record<string, Buffer> = {};
  for (const [name, v] of Object.entries(line.headers ?? {})) headers[name] = bytes(v, `header ${name}`) ?? Buffer.alloc(0);
  const record: ExportedRecord = {
    partition: line.partition as number,
    offset: line.offset,
    timestamp: typeof line.timestamp === 'string' ? line.timestamp : '',
    key: line.key === undefined ? null : bytes(line.key, 'key'),
    headers,
  };
  if ('valueJson' in line) {
    record.valueJson = line.valueJson;
    if (line.valueSchemaId !== undefined) {
      if (!Number.isInteger(line.valueSchemaId)) throw new LineError(`${where}: valueSchemaId must be a whole number`);
      record.valueSchemaId = line.valueSchemaId;
    }
  } else {
    record.value = line.value === undefined ? null : bytes(line.value, 'value');
  }
  return record;
}
