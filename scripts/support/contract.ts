/**
 * Contract checks: a handler's response against docs/openapi.json for its route and status (ajv, JSON Schema
 * 2020-12). `call()`/`callStreaming()` run it on every response a test receives, so an answer the document does not
 * describe (a status, a body shape, a content type, one of our headers) fails the test that saw it.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import document from '#docs/openapi.json' with { type: 'json' };

interface MediaType {
  schema?: unknown;
}
interface ResponseObject {
  headers?: Record<string, { required?: boolean }>;
  content?: Record<string, MediaType>;
}
interface Operation {
  responses: Record<string, ResponseObject>;
}

/** The headers of ours that clients read: sent only where the document says. */
const CHECKED_HEADERS = ['X-Next-Cursor', 'X-Message-Id', 'X-Reply-Message-Id', 'Retry-After', 'WWW-Authenticate'];

const DOC_ID = 'openapi.json';
// The document is not a schema itself: no strict keyword checks; its schemas are reached by JSON pointer.
const ajv = new Ajv2020({ allErrors: true, strict: false, validateSchema: false });
addFormats.default(ajv);
ajv.addSchema(document, DOC_ID);

const validators = new Map<string, ValidateFunction>();
const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

function validatorFor(path: string, method: string, status: string, mediaType: string): ValidateFunction {
  const ref = `${DOC_ID}#/${pointer('paths', path, method, 'responses', status, 'content', mediaType, 'schema')}`;
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    validators.set(ref, validate);
  }
  return validate;
}

export interface ObservedResponse {
  status: number;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: string;
}

class ContractError extends Error {
  override name = 'ContractError';
}

/** Throws when the response is not one the document describes for `route` ("GET /threads/{thread_id}"). */
export function checkContract(route: string, requestMethod: string, res: ObservedResponse): void {
  // CORS preflights are answered by the composition for every route; the document describes the routes themselves.
  if (requestMethod.toUpperCase() === 'OPTIONS') return;
  const [method, routePath] = route.split(' ') as [string, string];
  const path = `/api/v3${routePath}`;
  const operation = (document.paths as Record<string, Record<string, Operation>>)[path]?.[method.toLowerCase()];
  const where = `${method} ${path} → ${res.status}`;
  if (!operation) throw new ContractError(`${method} ${path} is not in docs/openapi.json`);
  const described = operation.responses[String(res.status)];
  if (!described) throw new ContractError(`${where}: the document does not describe this status`);

  for (const name of CHECKED_HEADERS) {
    if (res.headers[name.toLowerCase()] !== undefined && !described.headers?.[name]) {
      throw new ContractError(`${where}: header ${name} is sent but not documented`);
    }
  }
  for (const [name, header] of Object.entries(described.headers ?? {})) {
    if (header.required && res.headers[name.toLowerCase()] === undefined) throw new ContractError(`${where}: header ${name} is missing`);
  }

  const content = described.content ?? {};
  if (Object.keys(content).length === 0) {
    if (res.body !== '') throw new ContractError(`${where}: a body is sent where the document describes none`);
    return;
  }
  const mediaType = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (!content[mediaType]) throw new ContractError(`${where}: content type "${mediaType}" is not documented`);
  const validate = validatorFor(path, method.toLowerCase(), String(res.status), mediaType);
  // An NDJSON body is checked line by line (complete lines only: a client may have gone away mid-line).
  const values =
    mediaType === 'application/x-ndjson'
      ? res.body
          .split('\n')
          .slice(0, -1)
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as unknown)
      : [mediaType === 'application/json' ? (JSON.parse(res.body) as unknown) : res.body];
  for (const value of values) {
    if (!validate(value)) {
      const errors = ajv.errorsText(validate.errors, { dataVar: 'body' });
      throw new ContractError(`${where}: the ${mediaType} body does not match the document: ${errors}`);
    }
  }
}
