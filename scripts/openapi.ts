/**
 * `npm run openapi`: builds the OpenAPI 3.1 document from the route specs of the handlers in functions/ (their zod
 * request schemas and declared responses, through zod's JSON Schema output) and writes docs/openapi.json and the
 * client's types (client/api-types.ts, by openapi-typescript). `--check` writes nothing: it fails when either file
 * is stale or when the document's (method, path) set differs from the http events of serverless.yml.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as z from 'zod/mini';
import type { Routed } from '#lib/http/middleware.js';
import { installAwsLambdaPolyfill } from '#support/lambda-streaming.js';
import { loadRoutes } from './dev-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DOCUMENT_FILE = path.join(ROOT, 'docs/openapi.json');
const CLIENT_TYPES_FILE = path.join(ROOT, 'client/api-types.ts');
const BASE = '/api/v3';

type JsonSchema = Record<string, unknown>;
type AnyRouteSpec = Routed<unknown>['spec'];

/** The route specs of every handler in functions/ (each exported handler carries its spec). */
export async function loadSpecs(): Promise<AnyRouteSpec[]> {
  // The handlers are imported for their specs only: nothing connects, but config needs a well-formed environment.
  process.env.MONGODB_URI ??= 'mongodb://127.0.0.1:27017';
  process.env.STAGE ??= 'local';
  installAwsLambdaPolyfill();
  const specs: AnyRouteSpec[] = [];
  for (const file of readdirSync(path.join(ROOT, 'functions')).sort()) {
    if (!file.endsWith('.ts')) continue;
    const mod = (await import(pathToFileURL(path.join(ROOT, 'functions', file)).href)) as Record<string, { spec?: AnyRouteSpec }>;
    for (const exported of Object.values(mod)) if (exported?.spec) specs.push(exported.spec);
  }
  return specs;
}

const COMPONENT_REF = '#/components/schemas/';

/** Named schemas (`meta({ id })`) as components; every other schema refers to them. */
function components(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, { io: 'output', unrepresentable: 'any', uri: (id) => `${COMPONENT_REF}${id}` });
  return Object.fromEntries(
    Object.entries(schemas)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, { $id: _id, $schema: _dialect, ...schema }]) => [id, schema as JsonSchema]),
  );
}

/** One schema in the document: a named one by reference, another converted with its named parts as references. */
function schemaOf(schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: `${COMPONENT_REF}${id}` };
  const { $schema: _dialect, $defs: _defs, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  // Named subschemas come out as `#/$defs/<id>`: the same schemas as the components, so point there.
  return JSON.parse(JSON.stringify(json).replaceAll('"#/$defs/', `"${COMPONENT_REF}`)) as JsonSchema;
}

/** Path or query parameters from an object schema, one per property. */
function parameters(schema: z.ZodMiniType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, { description, ...property }]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    ...(description ? { description } : {}),
    schema: property,
  }));
}

const baseMediaType = (type: string) => type.split(';')[0]!.trim();

export async function buildDocument(specs: AnyRouteSpec[]): Promise<JsonSchema> {
  const { RESPONSE_HEADERS, responsesOf } = await import('#lib/http/contract.js');
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; license: string };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of specs) {
    const [method, routePath] = spec.route.split(' ') as [string, string];
    const template = `${BASE}${routePath}`;
    const pathParams = parameters(spec.path, 'path');
    const declared = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    if (JSON.stringify(declared) !== JSON.stringify(pathParams.map((p) => p.name))) {
      throw new Error(`${spec.route}: path variables ${declared.join(', ')} differ from the path schema's`);
    }
    const responses = Object.fromEntries(
      Object.entries(responsesOf(spec)).map(([status, r]) => {
        const content: Record<string, unknown> = {};
        if (r.body) content['application/json'] = { schema: schemaOf(r.body, 'output') };
        for (const [type, schema] of Object.entries(r.stream ?? {})) content[baseMediaType(type)] = { schema: schemaOf(schema, 'output') };
        const headers = Object.entries(r.headers ?? {}).map(([name, required]) => [
          name,
          { description: RESPONSE_HEADERS[name as keyof typeof RESPONSE_HEADERS], required, schema: { type: 'string' } },
        ]);
        return [
          status,
          {
            description: r.description,
            ...(headers.length ? { headers: Object.fromEntries(headers) } : {}),
            ...(Object.keys(content).length ? { content } : {}),
          },
        ];
      }),
    );
    const operation = {
      operationId: spec.doc.operationId,
      summary: spec.doc.summary,
      ...(spec.doc.description ? { description: spec.doc.description } : {}),
      tags: spec.doc.tags,
      ...(spec.auth === false ? { security: [] } : {}),
      ...(pathParams.length || spec.query ? { parameters: [...pathParams, ...parameters(spec.query, 'query')] } : {}),
      ...(spec.body
        ? {
            requestBody: {
              // A body schema that accepts no body makes the body optional.
              required: !spec.body.safeParse(undefined).success,
              content: { 'application/json': { schema: schemaOf(spec.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
    (paths[template] ??= {})[method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ansari threads API',
      version: pkg.version,
      license: { name: 'MIT', identifier: pkg.license },
      description:
        'Chat threads of Ansari whose messages are Anthropic content blocks. Errors are `{"detail"}` with CORS headers, API Gateway’s own included. The prose companion of this document is docs/api.md in the repository.',
    },
    servers: [{ url: '/', description: 'The host serving this document' }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'threads', description: 'Threads and their messages' },
      { name: 'messages', description: 'Adding a message and streaming the assistant’s reply' },
      { name: 'feedback', description: 'Feedback on assistant messages' },
      { name: 'shares', description: 'Public snapshots of threads' },
      { name: 'meta', description: 'This document' },
    ],
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'The access token of the existing auth system: HS256, payload `{"user_id", "type": "access", "exp"}`. Any failure is a 401 with `WWW-Authenticate: Bearer`.',
        },
      },
      schemas: components(),
    },
  };
}

/** The client's types, generated from the document (types only: the client has no runtime dependency). */
async function clientTypes(document: JsonSchema): Promise<string> {
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  const ast = await openapiTS(document as never, { exportType: true });
  return `/** Generated from docs/openapi.json by \`npm run openapi\`: do not edit. */\n${astToString(ast)}`;
}

/** (method, path) of the document, as "GET /api/v3/threads". */
export const operationsOf = (document: JsonSchema): string[] =>
  Object.entries(document.paths as Record<string, Record<string, unknown>>)
    .flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`))
    .sort();

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const document = await buildDocument(await loadSpecs());
  const files: [string, string][] = [
    [DOCUMENT_FILE, `${JSON.stringify(document, null, 2)}\n`],
    [CLIENT_TYPES_FILE, await clientTypes(document)],
  ];
  if (!check) {
    for (const [file, text] of files) writeFileSync(file, text);
    console.log(`wrote ${files.map(([f]) => path.relative(ROOT, f)).join(', ')} (${operationsOf(document).length} operations)`);
    return;
  }
  let failures = 0;
  for (const [file, text] of files) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // missing: stale
    }
    const fresh = current === text;
    console.log(`${fresh ? 'ok  ' : 'FAIL'} ${path.relative(ROOT, file)} is up to date${fresh ? '' : ' (run npm run openapi)'}`);
    if (!fresh) failures++;
  }
  const documented = operationsOf(document);
  const routes = loadRoutes();
  const deployed = routes.map((r) => `${r.method} ${r.resource}`).sort();
  // Each operation's id is the name of the function serving it in serverless.yml.
  const paths = document.paths as Record<string, Record<string, { operationId: string }>>;
  const misnamed = routes.filter(
    (r) => paths[r.resource]?.[r.method.toLowerCase()] && paths[r.resource]![r.method.toLowerCase()]!.operationId !== r.name,
  );
  console.log(
    `${misnamed.length ? 'FAIL' : 'ok  '} every operationId is its function's name${misnamed.length ? `: ${misnamed.map((r) => r.name).join(', ')}` : ''}`,
  );
  if (misnamed.length) failures++;
  const same = JSON.stringify(documented) === JSON.stringify(deployed);
  console.log(`${same ? 'ok  ' : 'FAIL'} the document's operations equal the http events of serverless.yml (${deployed.length})`);
  if (!same) {
    console.log(`  only in the document: ${documented.filter((o) => !deployed.includes(o)).join(', ') || '-'}`);
    console.log(`  only in serverless.yml: ${deployed.filter((o) => !documented.includes(o)).join(', ') || '-'}`);
    failures++;
  }
  process.exit(failures ? 1 : 0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
