/**
 * Calls real handlers with API Gateway REST (v1) events and a fake Lambda context. Every response is checked
 * against docs/openapi.json for the handler's route (contract tests, #support/contract.ts).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { checkContract, type ObservedResponse } from '#support/contract.js';
import { LocalResponseStream, type Prelude } from '#support/lambda-streaming.js';

export interface CallOptions {
  method?: string;
  resource?: string;
  path?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  token?: string;
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
  /** The body string is base64 (as API Gateway sends binary media types). */
  isBase64Encoded?: boolean;
  /** The invocation's time left (the Lambda context's `getRemainingTimeInMillis`): 29 s, 15 min when streaming. */
  remainingMs?: number;
}

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: any;
}

function apiEvent(opts: CallOptions = {}): APIGatewayProxyEvent {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let body: string | null = null;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  }
  const method = opts.method ?? 'GET';
  const path = opts.path ?? '/api/v3/threads';
  return {
    resource: opts.resource ?? path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: opts.query && Object.keys(opts.query).length ? opts.query : null,
    multiValueQueryStringParameters: opts.query ? Object.fromEntries(Object.entries(opts.query).map(([k, v]) => [k, [v]])) : null,
    pathParameters: opts.pathParameters ?? null,
    stageVariables: null,
    body,
    isBase64Encoded: opts.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: { sourceIp: '127.0.0.1' } as APIGatewayProxyEvent['requestContext']['identity'],
      path,
      stage: 'test',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'test',
      resourcePath: opts.resource ?? path,
    },
  };
}

function lambdaContext(timeoutMs = 29_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const lower = (h: Record<string, unknown> | undefined) =>
  Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));

const parseJson = (body: string) => {
  try {
    return body ? JSON.parse(body) : undefined;
  } catch {
    return undefined;
  }
};

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<unknown>;

/** The handler's route spec (`withHttp` attaches it): the response must be one its document entry describes. */
function checked<R extends ObservedResponse>(handler: unknown, opts: CallOptions, res: R): R {
  const route = (handler as { spec?: { route: string } }).spec?.route;
  if (route) checkContract(route, opts.method ?? 'GET', res);
  return res;
}

export async function call(handler: unknown, opts: CallOptions = {}): Promise<CallResult> {
  const res = (await (handler as Handler)(apiEvent(opts), lambdaContext(opts.remainingMs))) as APIGatewayProxyResult;
  return checked(handler, opts, { status: res.statusCode, headers: lower(res.headers), body: res.body, json: parseJson(res.body) });
}

export interface StreamCallResult extends CallResult {
  /** The body as the chunks the handler wrote, in order. */
  chunks: string[];
  /** What the handler rejected with after `onChunk` destroyed the stream (a client that went away); else undefined. */
  clientGoneError?: unknown;
}

type StreamHandler = (event: APIGatewayProxyEvent, stream: LocalResponseStream, context: Context) => Promise<void>;

/**
 * Calls a response-streaming handler; `onChunk` may abort by destroying the stream (a client going away). A handler
 * that rejects is an error of the call (thrown here), unless the stream was destroyed first: then the rejection is
 * what Lambda would see too, and is returned as `clientGoneError`. A handler that ends without sending a status
 * (no prelude, nothing written) is an error as well: Lambda would have no response to give.
 */
export async function callStreaming(
  handler: unknown,
  opts: CallOptions = {},
  onChunk?: (chunk: string, stream: LocalResponseStream) => void,
): Promise<StreamCallResult> {
  let prelude: Prelude | undefined;
  const chunks: string[] = [];
  const stream: LocalResponseStream = new LocalResponseStream(
    (p) => {
      prelude = p;
    },
    (c) => {
      chunks.push(c.toString('utf8'));
      onChunk?.(c.toString('utf8'), stream);
    },
    () => undefined,
  );
  let clientGoneError: unknown;
  try {
    await (handler as StreamHandler)(apiEvent(opts), stream, lambdaContext(opts.remainingMs ?? 900_000));
  } catch (err) {
    if (!stream.destroyed) throw err;
    clientGoneError = err;
  }
  if (prelude?.statusCode === undefined) throw new Error('the streaming handler ended without a response status');
  const body = chunks.join('');
  return checked(handler, opts, {
    status: prelude.statusCode,
    headers: lower(prelude.headers),
    body,
    json: parseJson(body),
    chunks,
    clientGoneError,
  });
}
