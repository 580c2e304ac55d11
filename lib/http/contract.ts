/**
 * What a route promises its clients: its responses (status, body schema, headers, streamed media types), declared in
 * its route spec beside its request schemas. scripts/openapi.ts builds the OpenAPI document from it and the contract
 * tests check every response against that document; nothing here runs on the request path.
 */
import * as z from 'zod/mini';

/** The response headers clients read, and what they mean (CORS exposes the first four). */
export const RESPONSE_HEADERS = {
  'X-Next-Cursor': 'The cursor of the next page (pass it as `cursor`); absent on the last page',
  'X-Message-Id': 'The id of the stored user message',
  'X-Reply-Message-Id': 'The id of the final assistant message of the reply (the one feedback goes to)',
  'Retry-After': 'Seconds to wait before trying again',
  'WWW-Authenticate': 'Always `Bearer`: refresh the access token and retry once',
  'Cache-Control': 'How long a browser or CDN may keep the answer',
  'X-Robots-Tag': '`noindex`: shared threads stay out of search engines',
  ETag: 'A validator for `If-None-Match`',
  'Content-Disposition': 'A download: `attachment` with a file name',
} as const;
type ResponseHeader = keyof typeof RESPONSE_HEADERS;

export interface ResponseDoc {
  description: string;
  /** The JSON body (`application/json`); absent: no body. */
  body?: z.ZodMiniType;
  /** A streamed body instead: media type → the schema of the whole body (text) or of each line (NDJSON). */
  stream?: Record<string, z.ZodMiniType>;
  /** Headers of this response: true when always sent, false when sometimes. */
  headers?: Partial<Record<ResponseHeader, boolean>>;
}

export interface RouteDoc {
  /** The function's name in serverless.yml. */
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /**
   * The route's own answers; the composition's (auth, validation, limits, failures) are added by `responsesOf`. A
   * function of them when they use the response schemas, which are built only when asked for.
   */
  responses: Record<number, ResponseDoc> | (() => Record<number, ResponseDoc>);
}

const ErrorBody = z.strictObject({ detail: z.string() });
z.globalRegistry.add(ErrorBody, {
  id: 'Error',
  description: 'Every error answer, the functions’ and API Gateway’s own: a message for a human',
});

/** An error answer: `{"detail"}` with these headers. */
export const errorResponse = (description: string, headers?: ResponseDoc['headers']): ResponseDoc => ({
  description,
  body: ErrorBody,
  ...(headers ? { headers } : {}),
});

/** What the route spec tells about the composition around it (see RouteSpec in middleware.ts). */
interface ComposedRoute {
  route: string;
  auth?: boolean;
  path?: unknown;
  query?: unknown;
  body?: unknown;
  database?: boolean;
  doc: RouteDoc;
}

/**
 * Every response of a route: its own, then those of the middleware composition (lib/http/middleware.ts) and of API
 * Gateway in front of it (serverless.yml `GatewayResponses`), which any route can give.
 */
export function responsesOf(spec: ComposedRoute): Record<number, ResponseDoc> {
  const method = spec.route.split(' ')[0];
  const authenticated = spec.auth !== false;
  const own = spec.doc.responses;
  const out: Record<number, ResponseDoc> = { ...(typeof own === 'function' ? own() : own) };
  const add = (status: number, doc: ResponseDoc) => {
    out[status] ??= doc;
  };
  if (spec.path || spec.query || spec.body) add(400, errorResponse('Invalid input (path, query or body); nothing was written'));
  if (authenticated) add(401, errorResponse('Missing or invalid access token', { 'WWW-Authenticate': true }));
  if (spec.body) {
    add(413, errorResponse('Body over 256 KiB'));
    add(415, errorResponse('A body that is not `application/json`'));
  }
  const writes = authenticated && method !== 'GET';
  add(
    429,
    errorResponse(writes ? 'Past the caller’s rate limit, or API Gateway’s throttling; nothing was done' : 'API Gateway’s throttling', {
      'Retry-After': true,
    }),
  );
  add(500, errorResponse('Unexpected error (logged)'));
  add(502, errorResponse('The function failed (API Gateway’s answer)'));
  add(
    503,
    errorResponse(
      spec.database === false
        ? 'The function is at its concurrency limit (API Gateway’s answer); retry after `Retry-After`'
        : 'The database is unavailable, or the function is at its concurrency limit; retry after `Retry-After`',
      { 'Retry-After': true },
    ),
  );
  add(504, errorResponse('No answer in time (API Gateway’s integration timeout)'));
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => Number(a) - Number(b)));
}
