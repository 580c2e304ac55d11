/**
 * `npm start`: serves every function of serverless.yml at http://localhost:${PORT:-3000}/api/v3 with no
 * credentials and no external service. Each request becomes an API Gateway REST (v1) event for the real
 * handler; streaming routes (`transferMode: STREAM`) are written to the socket chunk by chunk.
 *
 * Embedded defaults: MONGODB_URI when set, otherwise a local MongoDB wire-protocol server (data kept in
 * .data/); SECRET_KEY defaults to the documented development key (see `npm run token`).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { parse as parseYaml } from 'yaml';
import { serveDocs } from '#support/docs-page.js';
import { concurrentInvoker, isStreamingHandler, LocalResponseStream } from '#support/lambda-streaming.js';
import { startMongoServer, type MongoServerHandle } from '#support/mongo-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** API Gateway's own payload limit; the handlers enforce the contract's smaller one. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

export interface Route {
  name: string;
  method: string;
  /** Template such as /api/v3/threads/{thread_id} */
  resource: string;
  pattern: RegExp;
  params: string[];
  handlerPath: string;
  handlerExport: string;
  streaming: boolean;
}

interface HttpEventSpec {
  path: string;
  method: string;
  response?: { transferMode?: string };
}

interface ServerlessYml {
  functions: Record<string, { handler: string; events?: { http?: HttpEventSpec }[] }>;
  /** An object, or a list of them (some from files) that the Framework merges. */
  resources?: ResourcesPart | (ResourcesPart | string)[];
}

interface ResourcesPart {
  Resources?: Record<string, { Type: string; Properties: Record<string, any> }>;
}

// serverless.yml shares blocks between resources with YAML merge keys (`<<: *anchor`).
const readServerlessYml = (file = path.join(ROOT, 'serverless.yml')) =>
  parseYaml(readFileSync(file, 'utf8'), { merge: true }) as ServerlessYml;

/** Reads the routes from serverless.yml, so the local server and the deployed API never disagree. */
export function loadRoutes(file = path.join(ROOT, 'serverless.yml')): Route[] {
  const doc = readServerlessYml(file);
  const routes: Route[] = [];
  for (const [name, fn] of Object.entries(doc.functions)) {
    const dot = fn.handler.lastIndexOf('.');
    for (const event of fn.events ?? []) {
      if (!event.http) continue;
      const resource = `/${event.http.path.replace(/^\//, '')}`;
      const params: string[] = [];
      const pattern = new RegExp(
        `^${resource.replace(/\{(\w+)\}/g, (_m, p: string) => {
          params.push(p);
          return '([^/]+)';
        })}/?$`,
      );
      routes.push({
        name,
        method: event.http.method.toUpperCase(),
        resource,
        pattern,
        params,
        handlerPath: path.join(ROOT, `${fn.handler.slice(0, dot)}.ts`),
        handlerExport: fn.handler.slice(dot + 1),
        streaming: event.http.response?.transferMode === 'STREAM',
      });
    }
  }
  return routes;
}

/**
 * API Gateway's precedence between resources matching one path: at the first level where they differ, a fixed
 * segment beats a variable one (`/threads/export` before `/threads/{thread_id}`). Negative when `a` wins.
 */
function specificity(a: Route, b: Route): number {
  const as = a.resource.split('/');
  const bs = b.resource.split('/');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const av = as[i]!.startsWith('{');
    const bv = bs[i]!.startsWith('{');
    if (av !== bv) return av ? 1 : -1;
  }
  return 0;
}

/**
 * The route of a request, as API Gateway picks it: the most specific resource matching the path, then the method
 * on that resource (OPTIONS: any function of it, the shared middleware answers preflights). A method the chosen
 * resource lacks is not looked for on a less specific one.
 */
export function matchRoute(routes: Route[], method: string, pathname: string): Route | 'not found' | 'method not allowed' {
  const candidates = routes.filter((r) => r.pattern.test(pathname)).sort(specificity);
  const best = candidates[0];
  if (!best) return 'not found';
  const onResource = candidates.filter((r) => r.resource === best.resource);
  return (method === 'OPTIONS' ? onResource[0] : onResource.find((r) => r.method === method)) ?? 'method not allowed';
}

function toEvent(
  req: http.IncomingMessage,
  url: URL,
  route: Route,
  match: RegExpExecArray,
  body: Buffer,
  stage: string,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i]!;
    const v = req.rawHeaders[i + 1]!;
    headers[k] = v;
    (multiValueHeaders[k] ??= []).push(v);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v; // API Gateway keeps the last value
    (multiQuery[k] ??= []).push(v);
  }
  const pathParameters: Record<string, string> = {};
  route.params.forEach((p, i) => {
    pathParameters[p] = decodePathSegment(match[i + 1]!);
  });
  const requestId = randomUUID();
  return {
    resource: route.resource,
    path: url.pathname,
    httpMethod: req.method!,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
    pathParameters: route.params.length ? pathParameters : null,
    stageVariables: null,
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: req.method!,
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? null,
      } as APIGatewayProxyEvent['requestContext']['identity'],
      path: url.pathname,
      stage,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: route.name,
      resourcePath: route.resource,
    },
  };
}

class MalformedPathError extends Error {}

/** A path segment as API Gateway hands it over: percent-decoded; a malformed escape is the client's error (400). */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new MalformedPathError();
  }
}

function lambdaContext(route: Route, requestId: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `ansari-threads-local-${route.name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${route.name}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${route.name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

type GatewayAnswer = (req: http.IncomingMessage, res: http.ServerResponse, status: number, message: string) => void;

/**
 * API Gateway's own answer of `type` (an `AWS::ApiGateway::GatewayResponse` of serverless.yml), as the deployed
 * API gives it: status, headers (the request's Origin where it is mapped) and the `{"detail"}` body.
 */
function gatewayResponse(type: string): GatewayAnswer {
  const parts = [readServerlessYml().resources ?? []].flat().filter((p): p is ResourcesPart => typeof p === 'object');
  const resources = parts.flatMap((p) => Object.values(p.Resources ?? {}));
  const spec = resources.find((r) => r.Type === 'AWS::ApiGateway::GatewayResponse' && r.Properties.ResponseType === type)?.Properties;
  if (!spec) throw new Error(`serverless.yml has no ${type} gateway response`);
  return (req, res, status, message) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
    for (const [key, value] of Object.entries((spec.ResponseParameters ?? {}) as Record<string, string>)) {
      const name = key.replace(/^gatewayresponse\.header\./, '');
      const mapped = /^method\.request\.header\.(.+)$/.exec(value);
      const resolved = mapped ? req.headers[mapped[1]!.toLowerCase()] : value.replace(/^'(.*)'$/, '$1');
      if (typeof resolved === 'string') headers[name] = resolved;
    }
    const template = String(spec.ResponseTemplates?.['application/json'] ?? '{"detail":$context.error.messageString}');
    res.writeHead(Number(spec.StatusCode ?? status), headers);
    res.end(template.replaceAll('$context.error.messageString', JSON.stringify(message)));
  };
}

/** Header block size the local server reads (Node's default of 16 KB would answer an oversized token with a bare 431). */
const MAX_HEADER_BYTES = 1024 * 1024;

export async function createDevServer(opts: { stage?: string } = {}) {
  const invoke = await concurrentInvoker();
  const stage = opts.stage ?? 'local';
  const routes = loadRoutes();
  const handlers = new Map<string, Promise<(...args: unknown[]) => Promise<unknown>>>();
  const load = (route: Route) => {
    const key = `${route.handlerPath}#${route.handlerExport}`;
    if (!handlers.has(key)) {
      handlers.set(
        key,
        import(pathToFileURL(route.handlerPath).href).then(
          (m: Record<string, unknown>) => m[route.handlerExport] as (...args: unknown[]) => Promise<unknown>,
        ),
      );
    }
    return handlers.get(key)!;
  };

  // As API Gateway answers: an unknown path or method (preflights included) is its MISSING_AUTHENTICATION_TOKEN
  // response, a body over its limit a DEFAULT_4XX, both with CORS headers.
  const notFound = gatewayResponse('MISSING_AUTHENTICATION_TOKEN');
  const clientError = gatewayResponse('DEFAULT_4XX');

  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // The API reference page (local only): Swagger UI on /api/v3/openapi.json.
    if (req.method === 'GET' && (await serveDocs(url.pathname, res))) return;
    // As API Gateway: a fixed path segment beats a variable one; an unknown route, or a method its resource lacks, is
    // the gateway's MISSING_AUTHENTICATION_TOKEN response, a 404 with CORS headers (serverless.yml).
    const route = matchRoute(routes, req.method ?? 'GET', url.pathname);
    if (typeof route === 'string') return notFound(req, res, 404, 'Not found');
    const body = await readBody(req);
    if (!body) return clientError(req, res, 413, 'Request body too large');
    let event: APIGatewayProxyEvent;
    try {
      event = toEvent(req, url, route, route.pattern.exec(url.pathname)!, body, stage);
    } catch (err) {
      if (err instanceof MalformedPathError) return sendJson(res, 400, { detail: 'Malformed percent-encoding in the URL path' });
      throw err;
    }
    const context = lambdaContext(route, event.requestContext.requestId, route.streaming ? 900_000 : 29_000);
    try {
      const handler = await load(route);
      if (route.streaming && isStreamingHandler(handler)) {
        await invoke(context.awsRequestId, () => invokeStreaming(handler, event, context, req, res));
        return;
      }
      const result = (await invoke(context.awsRequestId, () => handler(event, context))) as APIGatewayProxyResult;
      res.writeHead(result.statusCode, result.headers as http.OutgoingHttpHeaders);
      res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
    } catch (err) {
      console.error(`[dev-server] ${route.name} failed:`, err);
      if (!res.headersSent) sendJson(res, 502, { detail: 'Internal server error' });
      else res.destroy();
    }
  });
  // A request the HTTP parser refuses (a header block over MAX_HEADER_BYTES, bad syntax) still gets a JSON answer.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const [status, detail] = err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request headers too large'] : [400, 'Bad request'];
    const body = JSON.stringify({ detail });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

/** Runs a streaming handler, writing its prelude as the status line and its bytes as they come. */
async function invokeStreaming(
  handler: (...args: unknown[]) => Promise<unknown>,
  event: APIGatewayProxyEvent,
  context: Context,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const stream = new LocalResponseStream(
    (prelude) => {
      res.writeHead(prelude.statusCode ?? 200, { ...(prelude.headers ?? {}), 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
    },
    (chunk) => res.write(chunk),
    () => res.end(),
  );
  // The client going away is an error on the Lambda response stream too: the handler sees it the same way. Should
  // it happen while no pipe listens (before the reply streams, or after), it must not crash the server.
  stream.on('error', () => undefined);
  res.on('close', () => {
    if (!res.writableFinished) stream.destroy(new Error('client disconnected'));
  });
  const failed = await handler(event, stream, context).then(
    () => false,
    (err: unknown) => {
      if (!res.writableEnded && !req.destroyed) console.error('[dev-server] stream failed:', err);
      return true;
    },
  );
  if (res.writableEnded) return;
  // A body that failed midway is cut off without its last chunk, so the client sees a broken transfer, never a
  // shorter one that looks complete.
  if (failed && res.headersSent) res.destroy();
  else if (failed) sendJson(res, 502, { detail: 'Internal server error' });
  else res.end();
}

/** Starts listening: on loopback only unless HOST says otherwise (HOST=0.0.0.0 to reach it from another machine). */
export async function listen(server: http.Server, port: number, host = process.env.HOST || '127.0.0.1'): Promise<string> {
  server.listen(port, host);
  await once(server, 'listening');
  return host;
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const log = (msg: string) => console.log(`[dev-server] ${msg}`);
  process.env.STAGE ??= 'local';
  let mongo: MongoServerHandle | undefined;
  if (!process.env.MONGODB_URI) {
    mongo = await startMongoServer({ persistFile: path.join(ROOT, '.data/mongo-dev'), log, allowMongod: false });
    process.env.MONGODB_URI = mongo.uri;
  }
  const extra = await import('#support/dev-services.js').then((m) => m.startDevServices(log));
  // Config is read on first import of lib/, after the environment above is complete.
  const { config } = await import('#lib/config.js');
  const { ensureIndexes } = await import('#lib/db/indexes.js');
  const { getDb } = await import('#lib/db/mongo.js');
  await ensureIndexes(await getDb());
  const server = await createDevServer({ stage: config.STAGE });
  void listen(server, port).then((host) => {
    log(`listening on http://${host}:${port}/api/v3 (stage ${config.STAGE})`);
    log(
      `routes: ${loadRoutes()
        .map((r) => `${r.method} ${r.resource}`)
        .join(', ')}`,
    );
    log(`API reference: http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/api/v3/docs`);
    log('mint a token with: npm run token -- <user-uuid>');
  });
  const shutdown = async () => {
    server.close();
    await extra.stop();
    await mongo?.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error('[dev-server] failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
