/** The JSON body rules of every route: size (413), media type (415), then JSON that is well formed, shallow and valid UTF-16 (400). */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '#lib/errors.js';
import { isObj } from '#lib/json.js';

/** Request bodies larger than this (in bytes) are refused with 413 (the contract's limit). */
const MAX_BODY_BYTES = 256 * 1024;
/** Deeper nesting is refused before parsing: no client document needs it, and recursive code must never meet it. */
export const MAX_JSON_DEPTH = 64;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The deepest nesting of arrays and objects in a JSON text, scanned without recursion (strings skipped). */
function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** A lone surrogate: a string that cannot be stored or sent as UTF-8 without changing. */
const ILL_FORMED = /\p{Cs}/u;

/** The path of the first key or string value holding a lone surrogate, walked without recursion; undefined when none. */
function illFormedField(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, '']];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [v, at] = item;
    if (typeof v === 'string') {
      if (ILL_FORMED.test(v)) return at || '(body)';
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([x, at ? `${at}.${i}` : String(i)]));
    } else if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) {
        const path = at ? `${at}.${k}` : k;
        if (ILL_FORMED.test(k)) return path;
        stack.push([x, path]);
      }
    }
  }
  return undefined;
}

/** The request's JSON body, or `undefined` when there is none; throws the 413/415/400 of the contract. */
export function readJsonBody(event: APIGatewayProxyEvent): unknown {
  const raw = event.body;
  if (raw === null || raw === undefined || raw === '') return undefined;
  let text = raw;
  if (event.isBase64Encoded) {
    const bytes = Buffer.from(raw, 'base64');
    if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
    try {
      text = utf8.decode(bytes);
    } catch {
      throw new ValidationError('Request body is not valid UTF-8');
    }
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  const contentType = event.headers?.['content-type'] ?? '';
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType)) throw new UnsupportedMediaTypeError();
  if (text.trim() === '') return undefined;
  if (exceedsDepth(text, MAX_JSON_DEPTH)) throw new ValidationError(`Invalid body: nested deeper than ${MAX_JSON_DEPTH} levels`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ValidationError('Malformed JSON body');
  }
  const bad = illFormedField(body);
  if (bad !== undefined) throw new ValidationError(`Invalid body: ${bad}: contains an unpaired surrogate (ill-formed Unicode)`);
  return body;
}
