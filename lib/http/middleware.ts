/** The one middleware composition of every route: CORS, body rules, auth, validation, error mapping, logs and metrics. */
import middy, { type MiddlewareObj, type Request } from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as z from 'zod/mini';
import { config } from '#lib/config.js';
import { HttpError, ValidationError } from '#lib/errors.js';
import { logger, metrics, userRef } from '#lib/observability.js';
import { classifyDependencyError } from '#lib/db/faults.js';
import { getMongoClient } from '#lib/db/mongo.js';
import { takeRateLimit } from '#lib/db/rate-limits.js';
import { withDbBudget } from '#lib/db/retry.js';
import { secrets } from '#lib/secrets.js';
import { assertTokenKey, authenticate } from './auth.js';
import { readJsonBody } from './body.js';
import type { RouteDoc } from './contract.js';

/** Custom response headers browsers may read (CORS hides them otherwise). */
const EXPOSED_HEADERS = ['X-Next-Cursor', 'X-Message-Id', 'X-Reply-Message-Id', 'Retry-After', 'Content-Disposition'];

export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a streaming handler returns: `body` is piped to the Lambda response stream. */
export interface StreamResult {
  statusCode: number;
  headers: Record<string, string>;
  body: NodeJS.ReadableStream | string;
  /** Work that must finish before the invocation ends, even if the client went away (storing a partial reply). */
  settled?: Promise<unknown>;
}

type AnySchema = z.ZodMiniType;
type Out<S> = S extends AnySchema ? z.output<S> : undefined;

export interface RouteSpec<P extends AnySchema | undefined, Q extends AnySchema | undefined, B extends AnySchema | undefined> {
  /** Method and path under /api/v3, e.g. "GET /threads/{thread_id}": the route in the document, logs and metrics. */
  route: string;
  /** Whether a bearer access token is required (default true). */
  auth?: boolean;
  path?: P;
  query?: Q;
  /** Body schema; when absent the route ignores any body. */
  body?: B;
  /** The path parameter holding a thread id, logged as `threadId` (default `thread_id`). */
  threadParam?: string;
  /** false for a route that uses no database: no connection is opened for it (and it never answers 503). */
  database?: boolean;
  /**
   * true for a route that counts the caller's write against the write limit itself, in the same command as the write
   * (one round trip instead of two). Otherwise every authenticated change is counted here, before the handler.
   */
  countsOwnWrite?: boolean;
  /** The route's contract (its responses), for the OpenAPI document and the contract tests; not used at run time. */
  doc: RouteDoc;
}

/** A handler carries its route spec, so the OpenAPI document and the contract tests read the route from the code. */
export type Routed<H> = H & { spec: RouteSpec<AnySchema | undefined, AnySchema | undefined, AnySchema | undefined> };

export interface HttpRequest<P, Q, B> {
  /** The caller's user id from the access token ('' on public routes). */
  userId: string;
  path: P;
  query: Q;
  body: B;
  headers: Record<string, string | undefined>;
  event: APIGatewayProxyEvent;
  context: Context;
}

interface Internal {
  userId: string;
  path: unknown;
  query: unknown;
  body: unknown;
  startedAt: number;
}

type HttpMiddyRequest = Request<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>;

// Per-request state, keyed by the event object so concurrent requests in one process (the dev server) never mix.
const states = new WeakMap<object, Internal>();
const state = (request: { event: APIGatewayProxyEvent }): Internal => {
  let s = states.get(request.event);
  if (!s) {
    s = { userId: '', path: undefined, query: undefined, body: undefined, startedAt: Date.now() };
    states.set(request.event, s);
  }
  return s;
};

/** Turns zod issues into one short message that never echoes the input. */
function describeIssues(error: z.core.$ZodError, where: string): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const at = issue.path.length ? issue.path.join('.') : where;
    return `${at}: ${issue.message}`;
  });
  return `Invalid ${where}: ${parts.join('; ')}`;
}

function parse<S extends AnySchema>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(describeIssues(result.error, where));
  return result.data;
}

const observe = (route: string, threadParam: string): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => {
  const finish = (request: HttpMiddyRequest) => {
    const s = state(request);
    const status = request.response?.statusCode ?? 500;
    const latencyMs = Date.now() - (s.startedAt ?? Date.now());
    const threadId = request.event.pathParameters?.[threadParam];
    const fields = { route, status, latencyMs, ...(threadId ? { threadId } : {}), ...(s.userId ? { user: userRef(s.userId) } : {}) };
    if (status >= 500) {
      // Expected dependency failures are summarised; unexpected errors keep their stack for debugging.
      const err = request.error;
      const summary = err && (classifyDependencyError(err) || err instanceof HttpError) ? { name: err.name, message: err.message } : err;
      logger.error('request failed', { ...fields, error: summary ?? undefined });
    } else logger.info('request', fields);
    metrics.addDimension('route', route);
    metrics.addMetric('Requests', 'Count', 1);
    metrics.addMetric('Latency', 'Milliseconds', latencyMs);
    if (status >= 500) metrics.addMetric('Errors5xx', 'Count', 1);
    else if (status >= 400) metrics.addMetric('Errors4xx', 'Count', 1);
    metrics.publishStoredMetrics();
    logger.resetKeys();
  };
  return {
    before: (request) => {
      state(request).startedAt = Date.now();
      // Adds cold_start, function name and request id to every log line of this request.
      logger.addContext(request.context);
      logger.appendKeys({ requestId: request.context.awsRequestId, route });
      metrics.captureColdStartMetric();
    },
    after: (request) => finish(request as HttpMiddyRequest),
    onError: (request) => finish(request as HttpMiddyRequest),
  };
};

/** The one place errors become responses: named errors keep their status, the rest are a logged 500. */
const errorResponder = (): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  onError: (request) => {
    const error = classifyDependencyError(request.error) ?? request.error;
    const known = error instanceof HttpError ? error : undefined;
    const status = known?.status ?? 500;
    request.response = {
      statusCode: status,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...(known?.headers ?? {}) },
      body: JSON.stringify({ detail: known?.message ?? 'Internal server error' }),
    };
  },
});

/** Deployed stages: the function's secrets are read before its first request and again once older than their max age. */
const loadSecrets = (): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  before: () => secrets.refresh(),
});

const parseRequest = (
  spec: RouteSpec<AnySchema | undefined, AnySchema | undefined, AnySchema | undefined>,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  before: async (request) => {
    const s = state(request);
    const { event } = request;
    // Authentication first: an anonymous caller learns nothing about input rules.
    s.userId = spec.auth === false ? '' : await authenticate(event.headers?.authorization);
    s.path = spec.path ? parse(spec.path, event.pathParameters ?? {}, 'path') : undefined;
    s.query = spec.query ? parse(spec.query, event.queryStringParameters ?? {}, 'query') : undefined;
    s.body = spec.body ? parse(spec.body, readJsonBody(event), 'body') : undefined;
    // Every authenticated change counts against the caller's write limit (valid requests only; 429 past it).
    if (s.userId && event.httpMethod !== 'GET' && !spec.countsOwnWrite) await takeRateLimit(s.userId, 'writes');
  },
});

function toResponse(result: HttpResult): APIGatewayProxyResult {
  const headers: Record<string, string> = { ...(result.headers ?? {}) };
  if (result.body === undefined) return { statusCode: result.status, headers, body: '' };
  headers['Content-Type'] ??= 'application/json; charset=utf-8';
  return { statusCode: result.status, headers, body: JSON.stringify(result.body) };
}

function compose<P extends AnySchema | undefined, Q extends AnySchema | undefined, B extends AnySchema | undefined>(
  spec: RouteSpec<P, Q, B>,
  inner: (event: APIGatewayProxyEvent, context: Context) => Promise<unknown>,
) {
  if (spec.auth !== false) assertTokenKey();
  // Cold start: the MongoDB connection opens while the container finishes initialising and the first request is
  // parsed and authenticated, instead of after (MongoDB's guidance for Lambda: connect outside the handler). A
  // failure here is left to the request, whose first database call connects afresh (getMongoClient clears it).
  if (spec.database !== false) {
    void secrets
      .refresh()
      .then(getMongoClient)
      .catch(() => undefined);
  }
  const handler = middy(inner, { timeoutEarlyInMillis: 0 })
    .use(httpHeaderNormalizer())
    .use(observe(spec.route, spec.threadParam ?? 'thread_id'))
    .use(
      httpCors({
        origins: config.CORS_ORIGINS,
        headers: 'Authorization,Content-Type,Accept',
        methods: 'GET,POST,DELETE,OPTIONS',
        exposeHeaders: EXPOSED_HEADERS.join(','),
        maxAge: 600,
        disableBeforePreflightResponse: false,
      }),
    )
    .use(errorResponder())
    // A route that verifies no token and uses no database (the OpenAPI document) needs no secret.
    .use(spec.auth !== false || spec.database !== false ? [loadSecrets()] : [])
    .use(parseRequest(spec));
  // All of the request's database work (rate-limit counters included) shares one time budget from its arrival.
  return (event: APIGatewayProxyEvent, context: Context) => withDbBudget(() => handler(event, context));
}

function requestOf<P, Q, B>(event: APIGatewayProxyEvent, context: Context): HttpRequest<P, Q, B> {
  const s = state({ event });
  return {
    userId: s.userId,
    path: s.path as P,
    query: s.query as Q,
    body: s.body as B,
    headers: event.headers ?? {},
    event,
    context,
  };
}

/**
 * Wraps a route function in the shared middleware composition: header normalisation, CORS (with OPTIONS
 * preflights), authentication, zod validation of path, query and body, named-error mapping and request logs.
 */
export function withHttp<
  P extends AnySchema | undefined = undefined,
  Q extends AnySchema | undefined = undefined,
  B extends AnySchema | undefined = undefined,
>(spec: RouteSpec<P, Q, B>, fn: (req: HttpRequest<Out<P>, Out<Q>, Out<B>>) => Promise<HttpResult>) {
  const handler = compose(spec, async (event, context) => toResponse(await fn(requestOf(event, context))));
  return Object.assign(handler, { spec }) as Routed<typeof handler>;
}

/**
 * Same composition for a response-streaming route (API Gateway REST `transferMode: STREAM`). The middleware runs
 * on the response object as usual; the streaming glue is ours rather than middy's so that the invocation ends
 * only once `settled` has (a client that goes away must not freeze the function before the partial is stored).
 */
export function withStreamingHttp<
  P extends AnySchema | undefined = undefined,
  Q extends AnySchema | undefined = undefined,
  B extends AnySchema | undefined = undefined,
>(spec: RouteSpec<P, Q, B>, fn: (req: HttpRequest<Out<P>, Out<Q>, Out<B>>) => Promise<StreamResult | HttpResult>) {
  const settling = new WeakMap<object, Promise<unknown>>();
  const composed = compose(spec, async (event, context) => {
    const result = await fn(requestOf(event, context));
    if (!('statusCode' in result)) return toResponse(result);
    const { settled, ...response } = result;
    if (settled) settling.set(event, settled);
    return response;
  });
  const handler = awslambda.streamifyResponse<APIGatewayProxyEvent, void>(async (event, responseStream, context) => {
    const { body, ...prelude } = (await composed(event, context)) as StreamResult;
    const out = awslambda.HttpResponseStream.from(responseStream, prelude);
    const source = typeof body === 'string' ? Readable.from(body ? [body] : []) : body;
    try {
      await pipeline(source, out);
    } finally {
      await settling.get(event)?.catch(() => undefined);
    }
  });
  return Object.assign(handler, { spec }) as Routed<typeof handler>;
}
