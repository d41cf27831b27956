/**
 * For unit tests only: the real read API server (createApiServer) on port 0 over in-memory projections,
 * and a raw HTTP/1.1 client that sends any bytes and reads back every response on the connection. No
 * Kafka: the projections' state is filled directly. Never imported by service code.
 */

import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { type EpochDay, toEpochDay } from '@register-feeds/register-model';
import { createLogger } from '@register-feeds/service-kit';
import { rowsOnReferenceDate } from '../deliver.ts';
import type { RunningProjection } from '../projection-runner.ts';
import { type GgdRow, ggd, type Projection } from '../projections/index.ts';
import { RebuildRefusedError } from '../rebuild.ts';
import { createApiServer } from './server.ts';

export const TOKENS = {
  stagemarkt: 'stagemarkt-token-0123456789abcdef',
  svb: 'svb-token-0123456789abcdef',
  ggd: 'ggd-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
} as const;

/** A projection that is just its rows, for reading. */
function rowsProjection(recipient: string): Projection<unknown, Map<string, unknown>> {
  return {
    recipient,
    emptyState: () => new Map(),
    apply: () => [],
    load: (state, key, row) => void (row === null ? state.delete(key) : state.set(key, row)),
    rows: (state) => [...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    checksum: () => '',
    size: (state) => state.size,
  };
}

export function running(projection: Projection<unknown, unknown>, state: unknown, version: () => number = () => 0): RunningProjection {
  return {
    recipient: projection.recipient,
    projection: projection as Projection<unknown>,
    state: () => state,
    version,
    metrics: { records: 7, feedChanges: 5, deadLettered: 0, lag: new Map([[0, 3]]), halted: new Map() },
    writing: () => true,
    ready: () => true,
    tick: async () => 0,
    rebuild: () => {
      throw new RebuildRefusedError('not in API tests');
    },
    rebuildStatus: () => undefined,
    stop: async () => {},
  };
}

/** A GGD list student born on the date; only the fields the read side looks at are meaningful. */
export function ggdStudent(nummer: string, born: string) {
  return {
    nummer,
    naam: { voornamen: 'Test', voorvoegsel: null, achternaam: 'Leerling' },
    geboortedatum: toEpochDay(born) as EpochDay,
    sector: 'VO',
    leerweg: null,
    leerjaar: 5,
    groep: null,
    version: { occurredOn: toEpochDay('2026-01-05'), order: 1, recordId: `r-${nummer}` },
  };
}

export const GGD_SCHOOL = '25LX|25LX01|';
/** 18 on 2026-06-15 */
export const TURNS_18_IN_JUNE = '2008-06-15';
/** 18 in 2030 */
export const YOUNGER = '2012-01-01';

export interface TestApi {
  url: string;
  port: number;
  /** changes a Stagemarkt row in place; the API sees it once the replica's version moves (bumpStagemarkt) */
  loadStagemarkt(key: string, row: unknown): void;
  bumpStagemarkt(): void;
  close(): Promise<void>;
}

/**
 * The API over three projections: Stagemarkt with `stagemarktRows` rows, SVB with one row, GGD with one
 * school of two students (one turns 18 on 2026-06-15). `clock` is "today" for the GGD reads.
 */
export async function startTestApi({
  clock = () => Date.UTC(2026, 2, 1, 12),
  stagemarktRows = 250,
}: {
  clock?: () => number;
  stagemarktRows?: number;
} = {}): Promise<TestApi> {
  const stagemarkt = rowsProjection('sbb-stagemarkt');
  const stagemarktState = stagemarkt.emptyState();
  for (let i = 0; i < stagemarktRows; i++) {
    const key = `v1.pseudonym${String(i).padStart(4, '0')}|25LX|A${i}|1`;
    stagemarkt.load(stagemarktState, key, { kind: 'bpv', brin: i % 2 === 0 ? '25LX' : '30AB', status: 'actueel', bpvVolgnummer: 1 });
  }
  const svb = rowsProjection('svb-kostendelersnorm');
  const svbState = svb.emptyState();
  svb.load(svbState, '999999990', { enrolments: [{ brin: '25LX', einddatum: null }] });
  const ggdState = ggd.emptyState();
  const row = {
    brin: '25LX',
    brinVestiging: '25LX01',
    locatiecodeMbo: null,
    students: [ggdStudent('111111110', TURNS_18_IN_JUNE), ggdStudent('222222220', YOUNGER)],
  } as unknown as GgdRow;
  ggd.load(ggdState, GGD_SCHOOL, row);

  let stagemarktVersion = 0;
  const projections = [
    running(stagemarkt, stagemarktState, () => stagemarktVersion),
    running(svb, svbState),
    running(ggd as Projection<unknown, unknown>, ggdState),
  ];
  // a recipient with a token but no projection here
  const api = await listenApi({ projections, clock, moreTokens: [['ocw-token-0123456789abcdef', 'ocw-minister']] });
  return {
    ...api,
    loadStagemarkt: (key, row) => stagemarkt.load(stagemarktState, key, row),
    bumpStagemarkt: () => {
      stagemarktVersion++;
    },
  };
}

export interface ListeningApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The real server on 127.0.0.1, port 0, over the projections; TOKENS are the three recipients' and the
 * operator's (`moreTokens` add to them). `clock` is "today" for the GGD reads; `ready` the readiness.
 */
export async function listenApi({
  projections,
  clock,
  ready = () => true,
  moreTokens = [],
}: {
  projections: readonly RunningProjection[];
  clock: () => number;
  ready?: () => boolean;
  moreTokens?: ReadonlyArray<readonly [token: string, recipient: string]>;
}): Promise<ListeningApi> {
  const server = createApiServer({
    projections: new Map(projections.map((p) => [p.recipient, p])),
    tokens: new Map([
      [TOKENS.stagemarkt, 'sbb-stagemarkt'],
      [TOKENS.svb, 'svb-kostendelersnorm'],
      [TOKENS.ggd, 'ggd-jeugdgezondheid'],
      ...moreTokens,
    ]),
    adminToken: TOKENS.admin,
    rowsOn: rowsOnReferenceDate(clock),
    ready,
    logger: createLogger({ service: 'test', level: 'silent' }),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends the bytes on a new connection, half-closes it, and reads every response until the server closes
 * (or the timeout: then what came so far). `head`: the request was HEAD, responses have no body.
 */
export function rawExchange(port: number, data: Buffer | string, { timeoutMs = 15_000, head = false } = {}): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    // the server may close while we are still writing (it refused the start already): not a test failure
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseResponses(Buffer.concat(chunks), head));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(data, () => socket.end());
  });
}

export function parseResponses(data: Buffer, head = false): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = data;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) throw new Error(`an incomplete response: ${JSON.stringify(rest.toString('latin1').slice(0, 200))}`);
    const [statusLine = '', ...fields] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1];
    if (status === undefined) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine.slice(0, 100))}`);
    const headers: Record<string, string> = {};
    for (const field of fields) {
      const colon = field.indexOf(':');
      headers[field.slice(0, colon).toLowerCase()] = field.slice(colon + 1).trim();
    }
    if (headers['content-length'] === undefined) throw new Error(`a response without content-length (${status})`);
    const length = head ? 0 : Number(headers['content-length']);
    responses.push({ status: Number(status), headers, body: rest.subarray(end + 4, end + 4 + length).toString('utf8') });
    rest = rest.subarray(end + 4 + length);
  }
  return responses;
}

/** A GET with the usual headers, as raw bytes. */
export function get(target: string, headers: Record<string, string> = {}): string {
  const lines = [`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([n, v]) => `${n}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}
