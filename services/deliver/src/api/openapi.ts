/**
 * The OpenAPI 3.1 document of the read API, served at /openapi.json. Made, not written: the row schemas
 * come from the projections' row shapes (projections/row-shapes.ts), the problem types from the problem
 * catalogue (problem.ts), so neither can drift from what the server sends. openapi.unit.spec.ts validates
 * real answers of a real server on a real socket against it (ajv, JSON Schema 2020-12).
 *
 * No auth for the document itself: it holds no data and no list of recipients. The recipient is a path
 * parameter and a row is one of the kinds' row schemas (which kind a recipient is: its page in
 * docs/recipients/), so the document is the same on every deployment and tells a prober nothing the
 * repository does not (the API answers alike whether or not a recipient exists, see auth.ts).
 */

import { rowJsonSchema } from '../projections/row-shape.ts';
import { ggdShape, stagemarktShape, svbShape } from '../projections/row-shapes.ts';
import { PROBLEM_CONTENT_TYPE, type Problem, problems } from './problem.ts';
import { DEFAULT_LIMIT, MAX_LIMIT } from './query.ts';

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const problemTypes = (...list: Problem[]) => [...new Set(list.map((p) => `\`${p.type.slice(p.type.lastIndexOf(':') + 1)}\``))].join(', ');

const problemResponse = (description: string, ...list: Problem[]): Json => ({
  description: list.length === 0 ? description : `${description} (problem types: ${problemTypes(...list)})`,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } },
});

/** Answers any request can get, whatever its path: the request itself was refused. */
const anyRequestProblems = {
  '400': problemResponse('Malformed request or parameter', problems.badRequest, problems.badRequestTarget),
  '405': problemResponse('Method not allowed; the Allow header lists the methods', problems.methodNotAllowed),
  '408': problemResponse('The request was not received in time', problems.requestTimeout),
  '414': problemResponse('The request target is longer than 8192 bytes', problems.uriTooLong),
  '417': problemResponse('An Expect header other than 100-continue', problems.expectationFailed),
  '431': problemResponse('The request line and headers are longer than 16384 bytes', problems.headersTooLarge),
  '500': problemResponse('The request could not be answered; it has been logged', problems.internal),
};

const ETAG_HEADER = {
  description:
    'Weak entity tag of the answer (its rows, not the bytes of its cursor). Send it back as If-None-Match to get 304 while nothing changed.',
  schema: { type: 'string', pattern: '^W/"[A-Za-z0-9_-]+"$' },
};

const notModified = {
  description: 'Not modified: the If-None-Match tag still matches. No body.',
  headers: { ETag: ETAG_HEADER },
};

const recipientParameter = {
  name: 'recipient',
  in: 'path',
  required: true,
  description: 'the recipient id of the agreement (sbb-stagemarkt, svb-kostendelersnorm, ggd-jeugdgezondheid)',
  schema: { type: 'string', pattern: '^[a-z0-9-]{1,64}$' },
};

const peildatumParameter = {
  name: 'peildatum',
  in: 'query',
  required: false,
  description:
    'GGD lists only: the reference date; the list shows the students under 18 on it, and never on a day before today. Other recipients ignore it.',
  schema: { type: 'string', format: 'date' },
};

const ifNoneMatch = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description: 'the ETag of an earlier answer: 304 without a body while it still matches',
  schema: { type: 'string' },
};

const rowsProblems = (extra: Json) => ({
  ...anyRequestProblems,
  '401': problemResponse(
    'No valid bearer token for this recipient: the same answer whether the token is missing, unknown or another recipient’s',
    problems.unauthorized,
  ),
  '503': problemResponse('The projections are still being restored', problems.notReady),
  ...extra,
});

/**
 * The answers of a read of rows: `schema` with its ETag, 304 while the tag still matches, and the problems
 * of a rows path; a malformed request is one of `malformed` besides those of any request.
 */
const rowReadResponses = (description: string, schema: string, malformed: Problem[], extra: Json): Json => ({
  '200': { description, headers: { ETag: ETAG_HEADER }, content: { 'application/json': { schema: ref(schema) } } },
  '304': notModified,
  ...rowsProblems({
    '400': problemResponse('Malformed request or parameter', problems.badRequest, problems.badRequestTarget, ...malformed),
    ...extra,
  }),
});

const operatorSecurity = [{ operatorToken: [] }];

export function openApiDocument(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'register-feeds read API',
      version: '1.0.0',
      description: [
        'Per recipient, its rows as deliver keeps them from its recipient topic: the fields of its agreement, nothing else.',
        'Dates are ISO 8601 calendar dates (YYYY-MM-DD), instants ISO 8601 with Z. Every error is an RFC 9457 problem (application/problem+json) whose detail never repeats the request.',
        'Incremental polling: every row answer has a weak ETag; send it as If-None-Match and get 304 without a body while the answer would be the same. A list answer also has `changes`: pass it as changedSince to get only the rows changed since, and the keys of those that left.',
        'Every GET also answers HEAD. Which row schema a recipient gets: its page in docs/recipients/.',
        'Metrics are not on this port: deliver serves /health, /ready and /metrics (Prometheus) on its own loopback port (DELIVER_HEALTH_PORT), like every service.',
      ].join('\n\n'),
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    paths: {
      '/v1/{recipient}/rows': {
        get: {
          operationId: 'listRows',
          summary: "A page of the recipient's rows in key order, optionally filtered",
          security: [{ recipientToken: [] }],
          parameters: [
            recipientParameter,
            {
              name: 'limit',
              in: 'query',
              required: false,
              description: `rows per page, ${DEFAULT_LIMIT} when absent`,
              schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
            },
            {
              name: 'cursor',
              in: 'query',
              required: false,
              description: 'the `next` of the previous page, unchanged',
              schema: { type: 'string' },
            },
            peildatumParameter,
            {
              name: 'changedSince',
              in: 'query',
              required: false,
              description:
                'the `changes` of an earlier read: only the rows changed since then, and the keys of the rows that left (`removed`). Keep the `changes` of the first page of a read and ask with it once that read is done. A token of another deliver instance or from before a restart answers 410: read everything again. Not with peildatum.',
              schema: { type: 'string' },
            },
            {
              name: 'filters',
              in: 'query',
              required: false,
              style: 'form',
              explode: true,
              description:
                'any other parameter `field=value` keeps the rows whose field equals the value, or that hold a list in which an item’s field equals it (an SVB person with an enrolment at brin=25LX)',
              schema: { type: 'object', additionalProperties: { type: 'string' } },
            },
            ifNoneMatch,
          ],
          responses: rowReadResponses(
            'a page of rows; `next` is absent on the last page',
            'RowPage',
            [problems.badLimit, problems.badCursor, problems.badPeildatum, problems.badChangedSince],
            {
              '404': problemResponse('No such path', problems.notFound),
              '410': problemResponse(
                'The changes since the token are no longer known here: read everything again',
                problems.changesExpired,
              ),
            },
          ),
        },
      },
      '/v1/{recipient}/rows/{key}': {
        get: {
          operationId: 'getRow',
          summary: 'One row by its key (percent-encoded)',
          security: [{ recipientToken: [] }],
          parameters: [
            recipientParameter,
            { name: 'key', in: 'path', required: true, description: 'the row key, percent-encoded', schema: { type: 'string' } },
            peildatumParameter,
            ifNoneMatch,
          ],
          responses: rowReadResponses('the row', 'KeyedRow', [problems.badKey, problems.badPeildatum], {
            '404': problemResponse('No such path or row', problems.notFound, problems.noSuchRow),
          }),
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openApi',
          summary: 'This document',
          security: [],
          responses: {
            '200': { description: 'the OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } },
            '304': {
              description: 'Not modified: the If-None-Match tag (strong: the document is the same bytes) still matches',
              headers: {
                ETag: { description: 'strong entity tag of the document', schema: { type: 'string', pattern: '^"[A-Za-z0-9_-]+"$' } },
              },
            },
            ...anyRequestProblems,
          },
        },
      },
      '/health': {
        get: {
          operationId: 'health',
          summary: 'Liveness: the process answers',
          security: [],
          responses: {
            '200': { description: 'alive', content: { 'application/json': { schema: ref('Status') } } },
            ...anyRequestProblems,
          },
        },
      },
      '/ready': {
        get: {
          operationId: 'ready',
          summary: 'Readiness: every projection restored and followed, no partition halted',
          security: [],
          responses: {
            '200': { description: 'ready', content: { 'application/json': { schema: ref('Status') } } },
            '503': problemResponse('not ready', problems.notReady),
            ...anyRequestProblems,
          },
        },
      },
      '/admin/rebuild/{recipient}': {
        get: {
          operationId: 'rebuildStatus',
          summary: "The last rebuild's status on this instance",
          security: operatorSecurity,
          parameters: [recipientParameter],
          responses: {
            '200': { description: 'the status', content: { 'application/json': { schema: ref('RebuildStatus') } } },
            '401': problemResponse('No valid operator token', problems.unauthorized),
            '404': problemResponse('No such recipient, or no rebuild yet', problems.notFound),
            ...anyRequestProblems,
            '405': problemResponse('Method not allowed', problems.rebuildMethodNotAllowed),
          },
        },
        post: {
          operationId: 'startRebuild',
          summary: 'Starts a rebuild of the projection beside the live one',
          security: operatorSecurity,
          parameters: [recipientParameter],
          responses: {
            '202': { description: 'started', content: { 'application/json': { schema: ref('RebuildStatus') } } },
            '401': problemResponse('No valid operator token', problems.unauthorized),
            '404': problemResponse('No such recipient', problems.notFound),
            '409': problemResponse('The rebuild cannot start on this instance now', problems.rebuildRefused),
            ...anyRequestProblems,
            '405': problemResponse('Method not allowed', problems.rebuildMethodNotAllowed),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        recipientToken: { type: 'http', scheme: 'bearer', description: "the recipient's own token (DELIVER_API_TOKENS)" },
        operatorToken: { type: 'http', scheme: 'bearer', description: 'the operator token (DELIVER_METRICS_TOKEN)' },
      },
      schemas: {
        StagemarktRow: {
          title: 'StagemarktRow',
          description: 'a row of a Stagemarkt recipient (sbb-stagemarkt)',
          ...rowJsonSchema(stagemarktShape),
        },
        SvbRow: rowJsonSchema(svbShape),
        GgdRow: rowJsonSchema(ggdShape),
        Row: { oneOf: [ref('StagemarktRow'), ref('SvbRow'), ref('GgdRow')] },
        KeyedRow: {
          type: 'object',
          properties: { key: { type: 'string' }, row: ref('Row') },
          required: ['key', 'row'],
          additionalProperties: false,
        },
        RowPage: {
          type: 'object',
          properties: {
            rows: { type: 'array', items: ref('KeyedRow') },
            next: { type: 'string', description: 'pass as ?cursor= for the next page; absent on the last page' },
            removed: {
              type: 'array',
              items: { type: 'string' },
              description: 'with changedSince: the keys of the rows that left since then (whatever the filters), sorted',
            },
            changes: {
              type: 'string',
              description: 'pass as ?changedSince= to read only what changed after this answer; absent with peildatum',
            },
          },
          required: ['rows'],
          additionalProperties: false,
        },
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          properties: {
            type: { type: 'string', pattern: '^tag:register-feeds,2026:problem:[a-z-]+$' },
            title: { type: 'string' },
            status: { type: 'integer', minimum: 400, maximum: 599 },
            detail: { type: 'string' },
          },
          required: ['type', 'title', 'status', 'detail'],
          additionalProperties: false,
        },
        Status: {
          type: 'object',
          properties: { status: { type: 'string', enum: ['ok', 'ready'] } },
          required: ['status'],
          additionalProperties: false,
        },
        RebuildStatus: {
          type: 'object',
          properties: {
            state: { type: 'string', enum: ['running', 'done', 'failed'] },
            startedAt: { type: 'string', format: 'date-time' },
            report: { type: 'object' },
            error: { type: 'string' },
          },
          required: ['state', 'startedAt'],
        },
      },
    },
  };
}
