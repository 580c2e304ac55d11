/**
 * A fake of Claude's Messages API: a real HTTP server speaking `POST /v1/messages` (JSON or SSE), meant to be
 * driven by the real `@anthropic-ai/sdk` through `baseURL` / `ANTHROPIC_BASE_URL`.
 *
 * - Every request is checked with `validateMessagesRequest`; a violation answers 400 `invalid_request_error`
 *   like the real API, so code that builds bad histories fails in tests the way it would in production.
 * - Answers come from a queue of scripts (`enqueue`), then from a responder (`respondWith`), then a default
 *   echo of the last user text.
 * - Streams are written event by event (flushed, optional delay), with injectable failures: an HTTP error
 *   before the stream, an SSE `error` event mid-stream, or a dropped connection.
 *
 * Standalone: `npx tsx scripts/support/fake-anthropic.ts --port 4010` serves echo answers for manual runs.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateMessagesRequest } from './messages-validator.js';

/** A citation as the API returns it (e.g. `{type:'char_location', cited_text, document_index, document_title, start_char_index, end_char_index}`). */
export type FakeCitation = { type: string } & Record<string, unknown>;

type FakeBlock =
  | {
      type: 'text';
      text: string;
      citations?: FakeCitation[];
      /** Send the citations_delta events after the text deltas instead of before them. */
      citationsAfterText?: boolean;
    }
  | { type: 'tool_use'; id?: string; name: string; input: Record<string, unknown> };

interface FakeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export interface FakeScript {
  blocks: FakeBlock[];
  /** Defaults to 'tool_use' when a tool_use block is present, else 'end_turn'. */
  stop_reason?: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence';
  usage?: FakeUsage;
  /** Answer this HTTP error instead of a message (e.g. `{status: 529, type: 'overloaded_error', message: 'Overloaded'}`). */
  failBeforeStream?: { status: number; type: string; message: string };
  /** After this many SSE events (0 = right after the headers), send an SSE `error` event and end the response. */
  failAfterEvents?: number;
  /** The error sent by `failAfterEvents`; defaults to `overloaded_error` / "Overloaded". */
  streamError?: { type: string; message: string };
  /** After this many SSE events, destroy the socket without finishing the response. */
  dropConnectionAfterEvents?: number;
  /** After this many SSE events (0 = right after the headers), send nothing more and keep the connection open until the client leaves. */
  stallAfterEvents?: number;
  /** After `events` SSE events, wait for `until` before sending the rest (a test's synchronisation point, never a sleep). */
  holdAfterEvents?: { events: number; until: Promise<unknown> };
  /** Delay before each SSE event after the first, so tests can observe bytes arriving incrementally. */
  chunkDelayMs?: number;
  /** Code points per text_delta (default 8); input JSON is split the same way. */
  chunkSize?: number;
}

/** The parsed request body; loosely typed because the fake also records invalid requests. */
export interface RecordedBody {
  model?: string;
  max_tokens?: number;
  stream?: boolean;
  system?: unknown;
  temperature?: number;
  tools?: Array<Record<string, unknown>>;
  messages?: Array<{ role: string; content: unknown }>;
  [key: string]: unknown;
}

interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when it was not valid JSON). */
  body: RecordedBody | undefined;
  /** Validator output; non-empty means the request was answered 400. */
  violations: string[];
  invalid: boolean;
  /** HTTP status that was sent. */
  status: number;
  stream: boolean;
  /** The script used to answer, if any. */
  script?: FakeScript;
  /** True when the client went away before the response was finished. */
  aborted: boolean;
  /** True once the response was fully written (normal end, scripted error event included). */
  completed: boolean;
}

type FakeResponder = (body: RecordedBody, request: RecordedRequest) => FakeScript;

export interface FakeAnthropic {
  /** Base URL for `new Anthropic({baseURL})` or `ANTHROPIC_BASE_URL` (no trailing slash, no `/v1`). */
  url: string;
  /** Every POST /v1/messages, in arrival order (the same array for the server's lifetime). */
  requests: RecordedRequest[];
  /** Queue scripts, used one per valid request, in order. */
  enqueue(...scripts: FakeScript[]): void;
  /** Answer with `fn` when the queue is empty (instead of the echo default); `null` restores the echo. */
  respondWith(fn: FakeResponder | null): void;
  /** Scripts still queued. */
  pending(): number;
  /** The most recent recorded request. */
  lastRequest(): RecordedRequest | undefined;
  /** Clear recorded requests, the queue and the responder. */
  reset(): void;
  close(): Promise<void>;
}

type SseEvent = [name: string, data: Record<string, unknown>];

let idCounter = 0;
function nextId(prefix: string): string {
  idCounter += 1;
  return `${prefix}_fake${String(idCounter).padStart(6, '0')}`;
}

/** Splits on code points, so a surrogate pair (emoji) is never cut in half. */
function chunk(text: string, size: number): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

/** Rough token estimate (4 chars per token), only so usage numbers look plausible. */
function tokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

function outputChars(script: FakeScript): number {
  return script.blocks.reduce((n, b) => n + (b.type === 'text' ? b.text.length : JSON.stringify(b.input).length), 0);
}

function stopReason(script: FakeScript): string {
  return script.stop_reason ?? (script.blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
}

function fullUsage(script: FakeScript, inputChars: number) {
  return {
    input_tokens: script.usage?.input_tokens ?? tokens(inputChars),
    output_tokens: script.usage?.output_tokens ?? tokens(outputChars(script)),
    cache_creation_input_tokens: script.usage?.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: script.usage?.cache_read_input_tokens ?? 0,
  };
}

/** Fixes tool_use ids once, so the streamed and the JSON forms agree. */
function withIds(script: FakeScript): FakeScript {
  return {
    ...script,
    blocks: script.blocks.map((b) => (b.type === 'tool_use' && !b.id ? { ...b, id: nextId('toolu') } : b)),
  };
}

/** The non-streaming answer: a complete Message object. */
function buildMessage(script: FakeScript, model: string, inputChars = 0): Record<string, unknown> {
  return {
    id: nextId('msg'),
    type: 'message',
    role: 'assistant',
    model,
    content: script.blocks.map((b) =>
      b.type === 'text'
        ? { type: 'text', text: b.text, citations: b.citations && b.citations.length > 0 ? b.citations : null }
        : { type: 'tool_use', id: b.id ?? nextId('toolu'), name: b.name, input: b.input },
    ),
    stop_reason: stopReason(script),
    stop_sequence: null,
    usage: fullUsage(script, inputChars),
  };
}

/** The SSE events of a streamed answer, in the order the real API sends them. */
export function buildStreamEvents(script: FakeScript, model: string, inputChars = 0): SseEvent[] {
  const size = Math.max(1, script.chunkSize ?? 8);
  const usage = fullUsage(script, inputChars);
  const events: SseEvent[] = [
    [
      'message_start',
      {
        type: 'message_start',
        message: {
          id: nextId('msg'),
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          // The real API reports a token or so of output at start; the final count comes in message_delta.
          usage: { ...usage, output_tokens: 1 },
        },
      },
    ],
    ['ping', { type: 'ping' }],
  ];

  script.blocks.forEach((block, index) => {
    if (block.type === 'text') {
      const hasCitations = (block.citations?.length ?? 0) > 0;
      events.push([
        'content_block_start',
        {
          type: 'content_block_start',
          index,
          content_block: hasCitations ? { type: 'text', text: '', citations: [] } : { type: 'text', text: '' },
        },
      ]);
      const citationEvents: SseEvent[] = (block.citations ?? []).map((citation) => [
        'content_block_delta',
        { type: 'content_block_delta', index, delta: { type: 'citations_delta', citation } },
      ]);
      const textEvents: SseEvent[] = chunk(block.text, size).map((text) => [
        'content_block_delta',
        { type: 'content_block_delta', index, delta: { type: 'text_delta', text } },
      ]);
      if (block.citationsAfterText) events.push(...textEvents, ...citationEvents);
      else events.push(...citationEvents, ...textEvents);
    } else {
      events.push([
        'content_block_start',
        {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: block.id ?? nextId('toolu'), name: block.name, input: {} },
        },
      ]);
      for (const partial_json of chunk(JSON.stringify(block.input), size)) {
        events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } }]);
      }
    }
    events.push(['content_block_stop', { type: 'content_block_stop', index }]);
  });

  events.push(
    [
      'message_delta',
      {
        type: 'message_delta',
        delta: { stop_reason: stopReason(script), stop_sequence: null },
        usage: { output_tokens: usage.output_tokens },
      },
    ],
    ['message_stop', { type: 'message_stop' }],
  );
  return events;
}

/** Text of the last user message (string content or its text blocks), for the default answer. */
function lastUserText(body: RecordedBody): string {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) {
      const texts = m.content
        .filter((b): b is { type: 'text'; text: string } => b?.type === 'text' && typeof b.text === 'string')
        .map((b) => b.text);
      if (texts.length > 0) return texts.join(' ');
    }
    return '';
  }
  return '';
}

/** The default script: a short text answer echoing the user. */
function echoScript(body: RecordedBody): FakeScript {
  const text = lastUserText(body).trim();
  return { blocks: [{ type: 'text', text: text ? `Echo: ${text}` : 'Echo.' }] };
}

function sendJson(res: ServerResponse, status: number, payload: unknown, requestId: string): void {
  const data = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(data),
    'request-id': requestId,
  });
  res.end(data);
}

function errorBody(type: string, message: string, requestId: string) {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function hasApiKey(headers: IncomingHttpHeaders): boolean {
  const key = headers['x-api-key'];
  if (typeof key === 'string' && key.trim() !== '') return true;
  const auth = headers.authorization;
  return typeof auth === 'string' && /^Bearer\s+\S+/i.test(auth);
}

/** Writes the SSE events one by one, honouring the script's delay and failure injections. */
async function writeStream(
  res: ServerResponse,
  record: RecordedRequest,
  script: FakeScript,
  events: SseEvent[],
  requestId: string,
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'request-id': requestId,
  });
  res.flushHeaders();
  res.socket?.setNoDelay(true); // no Nagle batching: each event leaves as soon as it is written

  // Resolves once the chunk is handed to the socket, so a following destroy() cannot discard it.
  const write = (text: string) => new Promise<void>((resolve) => res.write(text, () => resolve()));

  let sent = 0;
  for (const [name, data] of events) {
    if (record.aborted || res.destroyed) return;
    if (script.failAfterEvents !== undefined && sent >= script.failAfterEvents) {
      const err = script.streamError ?? { type: 'overloaded_error', message: 'Overloaded' };
      await write(`event: error\ndata: ${JSON.stringify({ type: 'error', error: err })}\n\n`);
      res.end();
      record.completed = true;
      return;
    }
    if (script.dropConnectionAfterEvents !== undefined && sent >= script.dropConnectionAfterEvents) {
      res.socket?.destroy();
      return;
    }
    if (script.stallAfterEvents !== undefined && sent >= script.stallAfterEvents) {
      if (!res.destroyed) await new Promise((resolve) => res.once('close', resolve));
      return;
    }
    if (script.holdAfterEvents && sent === script.holdAfterEvents.events) await script.holdAfterEvents.until;
    if (sent > 0 && script.chunkDelayMs) await sleep(script.chunkDelayMs);
    if (record.aborted || res.destroyed) return;
    await write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    sent += 1;
  }
  res.end();
  record.completed = true;
}

export async function startFakeAnthropic(
  opts: { port?: number; host?: string; log?: (line: string) => void } = {},
): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  const queue: FakeScript[] = [];
  let responder: FakeResponder | null = null;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = nextId('req');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'POST' || path !== '/v1/messages') {
      await readBody(req).catch(() => '');
      sendJson(res, 404, errorBody('not_found_error', `Not found: ${req.method} ${path}`, requestId), requestId);
      return;
    }

    const record: RecordedRequest = {
      method: req.method,
      path,
      headers: req.headers,
      body: undefined,
      violations: [],
      invalid: false,
      status: 0,
      stream: false,
      aborted: false,
      completed: false,
    };
    requests.push(record);
    // 'close' on the response before it finished means the client went away (req 'close' fires after the body is read).
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
    });

    const raw = await readBody(req);
    const reject = (status: number, type: string, message: string) => {
      record.status = status;
      sendJson(res, status, errorBody(type, message, requestId), requestId);
      record.completed = true;
      opts.log?.(`POST /v1/messages -> ${status} ${type}: ${message}`);
    };

    try {
      record.body = JSON.parse(raw) as RecordedBody;
    } catch {
      record.invalid = true;
      record.violations = ['request body is not valid JSON'];
      reject(400, 'invalid_request_error', 'request body is not valid JSON');
      return;
    }
    const body = record.body;
    record.stream = body?.stream === true;

    if (!hasApiKey(req.headers)) {
      reject(401, 'authentication_error', 'x-api-key header is required');
      return;
    }
    if (typeof req.headers['anthropic-version'] !== 'string') {
      reject(400, 'invalid_request_error', 'anthropic-version: header is required');
      return;
    }
    const violations = validateMessagesRequest(body);
    if (violations.length > 0) {
      record.invalid = true;
      record.violations = violations;
      reject(400, 'invalid_request_error', violations.join('; '));
      return;
    }

    // Scripts are only consumed by valid requests, so a rejected request leaves the queue as it was.
    const script = withIds(queue.shift() ?? (responder ? responder(body, record) : echoScript(body)));
    record.script = script;
    if (script.failBeforeStream) {
      const f = script.failBeforeStream;
      reject(f.status, f.type, f.message);
      return;
    }

    const model = typeof body.model === 'string' ? body.model : 'unknown';
    record.status = 200;
    opts.log?.(`POST /v1/messages -> 200 (${record.stream ? 'stream' : 'json'}, ${script.blocks.length} block(s))`);
    if (!record.stream) {
      if (script.dropConnectionAfterEvents !== undefined) {
        res.socket?.destroy();
        return;
      }
      sendJson(res, 200, buildMessage(script, model, raw.length), requestId);
      record.completed = true;
      return;
    }
    await writeStream(res, record, script, buildStreamEvents(script, model, raw.length), requestId);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the fake itself: answer 500 if still possible, and say why.
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) sendJson(res, 500, errorBody('api_error', `fake-anthropic: ${message}`, 'req_fake_err'), 'req_fake_err');
      else res.destroy();
    });
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host}:${port}`,
    requests,
    enqueue: (...scripts) => {
      queue.push(...scripts);
    },
    respondWith: (fn) => {
      responder = fn;
    },
    pending: () => queue.length,
    lastRequest: () => requests[requests.length - 1],
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      responder = null;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // keep-alive sockets would otherwise hold close() open
      }),
  };
}

/** Entry-point guard: true when run as `tsx scripts/support/fake-anthropic.ts`, false when imported. */
function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const fake = await startFakeAnthropic({
    port: Number(arg('--port') ?? 4010),
    host: arg('--host') ?? '127.0.0.1',
    log: (line) => console.log(line),
  });
  console.log(`fake-anthropic listening on ${fake.url}  (set ANTHROPIC_BASE_URL=${fake.url})`);
  const stop = () => {
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
