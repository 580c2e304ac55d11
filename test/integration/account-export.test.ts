/**
 * GET /api/v3/threads/export against the real stores (the MongoDB test server; a real PostgreSQL, PGlite over the pg
 * driver, for legacy threads): NDJSON lines equal GET /threads/{id} for every thread of the caller and no one
 * else's; ?format=markdown is the text view with citations as footnotes; both stream a thread at a time.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Message } from '#lib/blocks/types.js';
import type { ThreadDoc } from '#lib/threads/types.js';
import { cloneSeedThreads } from '#scripts/legacy/synthetic.js';
import { insertLegacyRows } from '#scripts/legacy/seed-data.js';
import { hybridStores } from '#test/support/hybrid.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call, callStreaming } from '#support/lambda.js';

const { legacy } = await hybridStores('export');
process.env.MAX_THREAD_DOC_BYTES = String(64 * 1024);

const { handler: exportThreads } = await import('#functions/export-threads.js');
const { handler: listThreads } = await import('#functions/list-threads.js');
const { handler: getThread } = await import('#functions/get-thread.js');
const { getDb } = await import('#lib/db/mongo.js');
const { observed } = await import('#test/support/observed.js');
const { mongoThreadStore, threadsCollection } = await import('#lib/threads/mongo-store.js');
const { threadForAppend } = await import('#lib/services/threads.js');

const exportPath = { path: '/api/v3/threads/export', resource: '/api/v3/threads/export' };
const download = (token: string, format?: string) =>
  callStreaming(exportThreads, { token, ...exportPath, ...(format ? { query: { format } } : {}) });
const getOne = (token: string, id: string, query?: Record<string, string>) =>
  call(getThread, {
    token,
    path: `/api/v3/threads/${id}`,
    resource: '/api/v3/threads/{thread_id}',
    pathParameters: { thread_id: id },
    query,
  });

const t0 = new Date(Date.UTC(2026, 4, 1, 8, 0, 0));
const at = (s: number) => new Date(t0.getTime() + s * 1000);

/** A conversation with a tool round: tool_use, a tool_result holding documents, a cited answer, feedback. */
const toolConversation = (n: number): Message[] => [
  { id: `u${n}`, role: 'user', content: [{ type: 'text', text: `Is witr obligatory? (${n})` }], created_at: at(0) },
  {
    id: `a${n}`,
    role: 'assistant',
    content: [
      { type: 'text', text: 'Let me search.' },
      { type: 'tool_use', id: `toolu_${n}`, name: 'search_hadith', input: { query: 'witr SECRET-TOOL-INPUT' } },
    ],
    created_at: at(1),
  },
  {
    id: `r${n}`,
    role: 'user',
    content: [
      {
        type: 'tool_result',
        tool_use_id: `toolu_${n}`,
        content: [
          {
            type: 'document',
            source: { type: 'text', media_type: 'text/plain', data: 'Witr is not obligatory.' },
            title: 'Sunan Abi Dawud 1416',
            citations: { enabled: true },
          },
        ],
      },
    ],
    created_at: at(2),
  },
  {
    id: `f${n}`,
    role: 'assistant',
    content: [
      {
        type: 'text',
        text: 'Most scholars hold it is a stressed sunnah.',
        citations: [
          { type: 'char_location', cited_text: 'Witr is not obligatory.', document_title: 'Sunan Abi Dawud 1416', document_index: 0 },
        ],
      },
      {
        type: 'text',
        text: ' Some say it is wajib.',
        citations: [{ type: 'char_location', cited_text: 'Abu Hanifa held it wajib.\nSecond line.', document_title: null }],
      },
    ],
    created_at: at(3),
    feedback: { class: 'thumbsup', comment: null, created_at: at(4), updated_at: at(4) },
    model: 'claude-sonnet-5-5',
    usage: { input_tokens: 10, output_tokens: 20 },
    stop_reason: 'end_turn',
  },
];

async function insertThread(userId: string, over: Partial<ThreadDoc> = {}): Promise<ThreadDoc> {
  const doc: ThreadDoc = {
    thread_id: randomUUID(),
    name: 'Witr',
    user_id: userId,
    initial_source: 'web',
    created_at: t0,
    updated_at: at(10),
    metadata: { topic: 'fiqh' },
    messages: toolConversation(1),
    ...over,
  };
  await (await threadsCollection()).insertOne({ ...doc });
  return doc;
}

/** A user with MongoDB threads (tool round, documents, citations; a long one in overflow chunks), legacy threads, one copied. */
async function person() {
  const user = newUser();
  const token = await tokenFor(user);
  await insertThread(user, { name: 'Witr', updated_at: at(10) });
  await insertThread(user, { name: 'Second', updated_at: at(20), messages: toolConversation(2) });
  await insertThread(user, { name: null, updated_at: at(30), messages: [] });
  const long = await insertThread(user, { name: 'Long', updated_at: at(40), messages: [] });
  for (let i = 0; i < 16; i++) {
    const m: Message = {
      id: `long${i}`,
      role: i % 2 ? 'assistant' : 'user',
      content: [{ type: 'text', text: `${i} ${'ب'.repeat(5000)}` }],
      created_at: at(i),
    };
    expect(await mongoThreadStore.appendMessages(user, long.thread_id, [m], at(40 + i))).toBe(true);
  }
  const legacyRows = cloneSeedThreads(user);
  await insertLegacyRows((sql, params) => legacy.db.query(sql, params), legacyRows);
  await threadForAppend(user, legacyRows.ids.openai);
  return { user, token, legacyRows, long: long.thread_id };
}

const ndjsonLines = (body: string) =>
  body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { thread_id: string });

describe('GET /api/v3/threads/export (NDJSON)', () => {
  it('streams every thread of the caller, one per line, each equal to GET /threads/{id}, in list order', async () => {
    const a = await person();
    const b = await person();
    expect((await (await getDb()).collection('thread_message_chunks').countDocuments({ thread_id: a.long })) > 0).toBe(true);

    const { result: res, logs, emf } = await observed(() => download(a.token));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    // At the end of the stream: one log line (user hash, counts) and one EMF record with its dimensions.
    const { userRef } = await import('#lib/observability.js');
    const count = res.body.split('\n').filter(Boolean).length;
    expect(logs.find(([message]) => message === 'export')![1]).toEqual({
      route: 'GET /threads/export',
      requestId: expect.any(String),
      user: userRef(a.user),
      format: 'ndjson',
      outcome: 'complete',
      threads: count,
      bytes: Buffer.byteLength(res.body),
      durationMs: expect.any(Number),
    });
    const record = emf.find((r) => 'ExportThreads' in r);
    expect(record).toMatchObject({ format: 'ndjson', outcome: 'complete', ExportThreads: count, ExportBytes: Buffer.byteLength(res.body) });
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="ansari-conversations-\d{4}-\d{2}-\d{2}\.ndjson"$/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.endsWith('\n')).toBe(true);

    const lines = ndjsonLines(res.body);
    const list = (await call(listThreads, { token: a.token })).json as { thread_id: string; storage: string }[];
    expect(lines.map((t) => t.thread_id)).toEqual(list.map((t) => t.thread_id));
    expect(list.filter((t) => t.storage === 'legacy').length).toBe(a.legacyRows.threads.length - 1);
    for (const line of lines) expect(line).toEqual((await getOne(a.token, line.thread_id)).json);
    // Blocks as stored: the tool round, its documents, the citations, the feedback.
    const witr = lines.find((t) => (t as { thread_name?: string }).thread_name === 'Witr') as unknown as { messages: Message[] };
    expect(witr.messages.map((m) => m.content.map((c) => c.type))).toEqual([
      ['text'],
      ['text', 'tool_use'],
      ['tool_result'],
      ['text', 'text'],
    ]);
    expect(JSON.stringify(witr)).toContain('Sunan Abi Dawud 1416');
    // Streamed a thread at a time, never the other user's, never an owner id.
    expect(res.chunks.length).toBeGreaterThanOrEqual(lines.length);
    expect(res.body).not.toContain(a.user);
    for (const id of b.legacyRows.threads.map((t) => t.id)) expect(res.body).not.toContain(id);
  });

  it('gives a user with no threads an empty body, and pages through more threads than one list page', async () => {
    const empty = await download(await tokenFor(newUser()));
    expect(empty.status).toBe(200);
    expect(empty.body).toBe('');

    const user = newUser();
    const docs = Array.from({ length: 230 }, (_, i) => ({
      thread_id: randomUUID(),
      name: `t${i}`,
      user_id: user,
      initial_source: 'web' as const,
      created_at: t0,
      updated_at: at(i),
      metadata: {},
      messages: toolConversation(i),
    }));
    await (await threadsCollection()).insertMany(docs);
    const lines = ndjsonLines((await download(await tokenFor(user))).body);
    expect(lines.map((t) => t.thread_id)).toEqual(docs.map((d) => d.thread_id).reverse());
  });

  it('refuses a missing token (401) and an unknown format (400) with JSON', async () => {
    const anon = await callStreaming(exportThreads, exportPath);
    expect(anon.status).toBe(401);
    expect(anon.json).toEqual({ detail: 'Not authenticated' });
    const bad = await download(await tokenFor(newUser()), 'pdf');
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toMatch(/^Invalid query: format/);
  });

  it('stops reading when the client goes away', async () => {
    const user = newUser();
    await (
      await threadsCollection()
    ).insertMany(
      Array.from({ length: 60 }, (_, i) => ({
        thread_id: randomUUID(),
        name: `t${i}`,
        user_id: user,
        initial_source: 'web' as const,
        created_at: t0,
        updated_at: at(i),
        metadata: {},
        messages: toolConversation(i),
      })),
    );
    let seen = 0;
    const token = await tokenFor(user);
    const { result: res, logs } = await observed(() =>
      callStreaming(exportThreads, { token, ...exportPath }, (_chunk, stream) => {
        if (++seen === 2) stream.destroy(new Error('client went away'));
      }),
    );
    expect(res.status).toBe(200);
    expect(logs.find(([message]) => message === 'export')![1]).toMatchObject({ outcome: 'client_gone' });
    // A few reads ahead may land after the client left; the other threads are never written.
    expect(ndjsonLines(res.body).length).toBeLessThan(10);
  });
});

describe('GET /api/v3/threads/export?format=markdown', () => {
  it('is one readable document: the text view of every thread, citations as footnotes numbered across it', async () => {
    const a = await person();
    const res = await download(a.token, 'markdown');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="ansari-conversations-\d{4}-\d{2}-\d{2}\.md"$/);
    const md = res.body;
    expect(md.startsWith('# Ansari conversations\n\nExported ')).toBe(true);

    const list = (await call(listThreads, { token: a.token })).json as { thread_id: string; thread_name: string | null }[];
    const headings = [...md.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(list.map((t) => t.thread_name ?? 'Untitled conversation'));
    // Every message of the text view is there as it reads there; a reply with citations differs only in how it
    // cites (checked below).
    for (const t of list) {
      const text = (await getOne(a.token, t.thread_id, { format: 'text' })).json as { messages: { content: string }[] };
      for (const m of text.messages) if (!m.content.includes('**Citations**:')) expect(md).toContain(m.content.trim());
    }
    // Two threads with the same cited reply: footnotes 1-2 and 3-4, each defined once.
    expect(md).toContain('Most scholars hold it is a stressed sunnah. [^1] Some say it is wajib. [^2]');
    expect(md).toContain('Most scholars hold it is a stressed sunnah. [^3] Some say it is wajib. [^4]');
    expect(md).toContain('[^1]: Sunan Abi Dawud 1416: Witr is not obligatory.\n[^2]: Source: Abu Hanifa held it wajib.\n    Second line.');
    expect([...md.matchAll(/^\[\^(\d+)\]:/gm)].map((m) => Number(m[1]))).toEqual([1, 2, 3, 4]);
    expect(md).toContain('**You** · 2026-05-01 08:00 UTC\n\nIs witr obligatory? (2)');
    expect(md).toContain('_No messages._');
    // The text view leaves tool calls and results out; owner ids never appear.
    expect(md).not.toContain('SECRET-TOOL-INPUT');
    const witr = md.slice(md.indexOf('## Witr'), md.indexOf('\n---\n', md.indexOf('## Witr')));
    expect(witr).toContain('[^');
    expect(witr).not.toContain('**Citations**');
    expect(md).not.toContain(a.user);
  });

  it('says so when there is nothing to export', async () => {
    const res = await download(await tokenFor(newUser()), 'markdown');
    expect(res.body).toMatch(/^# Ansari conversations\n\nExported .*\.\n\n_No conversations._\n$/);
  });
});
