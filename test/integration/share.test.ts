/** Shares through the real handlers: frozen snapshots, public reads, expiry, ids and cache headers. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as deleteThread } from '#functions/delete-thread.js';
import { handler as getShare } from '#functions/get-share.js';
import { handler as listShares } from '#functions/list-shares.js';
import { handler as renameThread } from '#functions/rename-thread.js';
import { handler as revokeShare } from '#functions/revoke-share.js';
import { handler as shareThread } from '#functions/share-thread.js';
import { ensureIndexes } from '#lib/db/indexes.js';
import { closeMongo, getDb } from '#lib/db/mongo.js';
import { newShareId } from '#lib/ids.js';
import { sharesCollection } from '#lib/share/snapshot.js';
import { mongoThreadStore, threadsCollection } from '#lib/threads/mongo-store.js';
import { messageBytes } from '#lib/threads/overflow.js';
import type { ThreadDoc } from '#lib/threads/types.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call } from '#support/lambda.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DAY = 86_400_000;

beforeAll(async () => {
  await ensureIndexes(await getDb());
});
afterAll(async () => {
  await closeMongo();
});

const t0 = new Date(Date.UTC(2026, 4, 1, 8, 0, 0, 0));
const conversation = () => [
  {
    id: 'u1',
    role: 'user' as const,
    content: [{ type: 'text', text: 'Is witr obligatory?' }],
    created_at: t0,
    user_id: 'owner-secret',
    feedback: { class: 'thumbsdown', comment: 'private note' },
  },
  {
    id: 'a1',
    role: 'assistant' as const,
    content: [{ type: 'tool_use', id: 'toolu_9', name: 'search_hadith', input: { query: 'witr' } }],
    created_at: t0,
  },
  {
    id: 'r1',
    role: 'user' as const,
    content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: [{ type: 'text', text: 'Please see the references below.' }] }],
    created_at: t0,
  },
  {
    id: 'a2',
    role: 'assistant' as const,
    content: [
      {
        type: 'text',
        text: 'Most scholars hold it is a stressed sunnah',
        citations: [{ type: 'char_location', cited_text: 'Witr is not obligatory', document_title: 'Sunan Abi Dawud 1416' }],
      },
    ],
    created_at: t0,
  },
];

/** A share document written directly, as the handlers would not make it; returns its id. */
async function insertShareDoc(
  userId: string,
  threadId: string,
  share: { id: string; createdAt: Date; expiresAt: Date | null; name: string },
): Promise<string> {
  await (
    await sharesCollection()
  ).insertOne({
    share_id: share.id,
    thread_id: threadId,
    user_id: userId,
    created_at: share.createdAt,
    expires_at: share.expiresAt,
    snapshot: { thread_name: share.name, initial_source: 'web', created_at: t0, updated_at: t0, messages: [] },
  });
  return share.id;
}

/** A MongoDB copy of a legacy share, as the migration makes it (its UUID id kept); returns the id. */
const insertMigratedShare = (userId: string, threadId: string) =>
  insertShareDoc(userId, threadId, { id: randomUUID(), createdAt: t0, expiresAt: null, name: 'migrated' });

async function insertThread(userId: string, over: Partial<ThreadDoc> = {}): Promise<ThreadDoc> {
  const doc: ThreadDoc = {
    thread_id: randomUUID(),
    name: 'Witr',
    user_id: userId,
    initial_source: 'android',
    created_at: t0,
    updated_at: t0,
    metadata: {},
    messages: conversation(),
    ...over,
  };
  await (await threadsCollection()).insertOne({ ...doc });
  return doc;
}

const share = async (token: string, threadId: string, body?: unknown) =>
  call(shareThread, {
    method: 'POST',
    token,
    path: `/api/v3/share/${threadId}`,
    resource: '/api/v3/share/{id}',
    pathParameters: { id: threadId },
    body,
  });

const read = async (shareId: string, opts: { query?: Record<string, string>; headers?: Record<string, string> } = {}) =>
  call(getShare, { path: `/api/v3/share/${shareId}`, resource: '/api/v3/share/{id}', pathParameters: { id: shareId }, ...opts });

const sharesOf = async (threadId: string) => (await sharesCollection()).countDocuments({ thread_id: threadId });

describe('POST /api/v3/share/{thread_id}', () => {
  it('creates a share (201) and stores a complete snapshot with owner and thread ids', async () => {
    const user = newUser();
    const t = await insertThread(user);
    const res = await share(await tokenFor(user), t.thread_id);
    expect(res.status).toBe(201);
    expect(res.json).toEqual({
      status: 'success',
      share_id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      thread_id: t.thread_id,
      created_at: expect.stringMatching(ISO),
      expires_at: null,
    });
    const stored = await (await sharesCollection()).findOne({ share_id: res.json.share_id }, { projection: { _id: 0 } });
    expect(stored).toEqual({
      share_id: res.json.share_id,
      thread_id: t.thread_id,
      user_id: user,
      created_at: new Date(res.json.created_at),
      expires_at: null,
      snapshot: {
        thread_name: 'Witr',
        initial_source: 'android',
        created_at: t0,
        updated_at: t0,
        messages: conversation().map(({ user_id: _u, feedback: _f, ...m }) => m),
      },
    });
  });

  it('creates a new share on every call', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const t = await insertThread(user);
    const a = await share(token, t.thread_id);
    const b = await share(token, t.thread_id, {});
    expect(a.json.share_id).not.toBe(b.json.share_id);
    expect(await sharesOf(t.thread_id)).toBe(2);
  });

  it('sets expires_at from expires_in_days', async () => {
    const user = newUser();
    const t = await insertThread(user);
    const res = await share(await tokenFor(user), t.thread_id, { expires_in_days: 7 });
    expect(res.status).toBe(201);
    expect(new Date(res.json.expires_at).getTime() - new Date(res.json.created_at).getTime()).toBe(7 * DAY);
  });

  it.each([
    [{ expires_in_days: 0 }],
    [{ expires_in_days: 366 }],
    [{ expires_in_days: 1.5 }],
    [{ expires_in_days: '7' }],
    [{ expires_in_days: { $gt: 1 } }],
    [{ expires_in_days: null }],
    [{ days: 3 }],
  ])('rejects %j with 400 and creates no share', async (body) => {
    const user = newUser();
    const t = await insertThread(user);
    const res = await share(await tokenFor(user), t.thread_id, body);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ detail: expect.stringMatching(/^Invalid body: /) });
    expect(await sharesOf(t.thread_id)).toBe(0);
  });

  it('is 404 for another user’s thread and for an unknown thread, 400 for a non-UUID, 401 without a token', async () => {
    const owner = newUser();
    const t = await insertThread(owner);
    const other = await share(await tokenFor(newUser()), t.thread_id);
    expect([other.status, other.json]).toEqual([404, { detail: 'Thread not found' }]);
    const unknown = await share(await tokenFor(owner), randomUUID());
    expect([unknown.status, unknown.json]).toEqual([404, { detail: 'Thread not found' }]);
    const bad = await share(await tokenFor(owner), 'nope');
    expect(bad.status).toBe(400);
    const anon = await call(shareThread, { method: 'POST', pathParameters: { id: t.thread_id } });
    expect([anon.status, anon.headers['www-authenticate']]).toEqual([401, 'Bearer']);
    expect(await sharesOf(t.thread_id)).toBe(0);
  });

  it('shares a thread of exactly 15 MiB of messages, and answers 413 for one byte more, storing no share', async () => {
    const LIMIT = 15 * 1024 * 1024;
    /** Sixteen messages of about 1 MiB, the last one's text tuned so the snapshot's messages weigh exactly `bytes` as BSON. */
    const messagesOf = (bytes: number) => {
      const msgs = Array.from({ length: 16 }, (_, i) => ({
        id: `big${i}`,
        role: (i % 2 ? 'assistant' : 'user') as 'user' | 'assistant',
        content: [{ type: 'text', text: 'x'.repeat(960 * 1024) }],
        created_at: t0,
      }));
      const size = messageBytes(msgs);
      msgs[15]!.content[0]!.text = 'x'.repeat(960 * 1024 + bytes - size);
      expect(messageBytes(msgs)).toBe(bytes);
      return msgs;
    };
    const user = newUser();
    const token = await tokenFor(user);
    const fits = await insertThread(user, { messages: messagesOf(LIMIT) });
    expect((await share(token, fits.thread_id)).status).toBe(201);
    const over = await insertThread(user, { messages: messagesOf(LIMIT + 1) });
    const res = await share(token, over.thread_id);
    expect([res.status, res.json]).toEqual([413, { detail: 'Thread too large to share' }]);
    expect(await sharesOf(over.thread_id)).toBe(0);
  });
});

describe('GET /api/v3/share/{share_id}', () => {
  it('serves the snapshot without a login, with no owner or thread ids, and cache headers', async () => {
    const user = newUser();
    const t = await insertThread(user);
    const created = await share(await tokenFor(user), t.thread_id);
    const res = await read(created.json.share_id);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      share_id: created.json.share_id,
      thread_name: 'Witr',
      created_at: created.json.created_at,
      expires_at: null,
      messages: conversation().map(({ user_id: _u, feedback: _f, ...m }) => ({ ...m, created_at: t0.toISOString() })),
    });
    expect(res.body).not.toContain(user);
    expect(res.body).not.toContain(t.thread_id);
    expect(res.body).not.toContain('owner-secret');
    expect(res.body).not.toContain('user_id');
    expect(res.body).not.toContain('private note');
    // A share can be revoked: caches keep it at most a minute and never serve it stale; never `immutable`.
    expect(res.headers['cache-control']).toBe('public, max-age=60, must-revalidate');
  });

  it('ignores an Authorization header, even garbage or someone else’s token', async () => {
    const user = newUser();
    const t = await insertThread(user);
    const { json } = await share(await tokenFor(user), t.thread_id);
    for (const authorization of ['Bearer garbage', 'Basic Zm9vOmJhcg==', `Bearer ${await tokenFor(newUser(), { expiresIn: -10 })}`]) {
      const res = await read(json.share_id, { headers: { Authorization: authorization } });
      expect(res.status).toBe(200);
      expect(res.json.share_id).toBe(json.share_id);
    }
  });

  it('supports ?format=text', async () => {
    const user = newUser();
    const t = await insertThread(user);
    const { json } = await share(await tokenFor(user), t.thread_id);
    const res = await read(json.share_id, { query: { format: 'text' } });
    expect(res.json.messages).toEqual([
      { id: 'u1', role: 'user', content: 'Is witr obligatory?', created_at: t0.toISOString() },
      {
        id: 'a2',
        role: 'assistant',
        content: 'Most scholars hold it is a stressed sunnah [1]\n\n**Citations**:\n[1] Sunan Abi Dawud 1416:\nWitr is not obligatory',
        created_at: t0.toISOString(),
      },
    ]);
  });

  it('stays frozen: later messages, a rename and deleting the thread do not change it', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const t = await insertThread(user);
    const { json } = await share(token, t.thread_id);
    const before = await read(json.share_id);
    await mongoThreadStore.appendMessages(
      user,
      t.thread_id,
      [{ id: 'late', role: 'user', content: [{ type: 'text', text: 'later' }], created_at: new Date() }],
      new Date(),
    );
    const renamed = await call(renameThread, {
      method: 'POST',
      token,
      pathParameters: { thread_id: t.thread_id },
      body: { name: 'Renamed' },
    });
    expect(renamed.status).toBe(200);
    expect((await read(json.share_id)).json).toEqual(before.json);
    const deleted = await call(deleteThread, { method: 'DELETE', token, pathParameters: { thread_id: t.thread_id } });
    expect(deleted.status).toBe(204);
    const after = await read(json.share_id);
    expect([after.status, after.json]).toEqual([200, before.json]);
  });

  it('is 404 for unknown, malformed and expired ids, whether or not the TTL monitor removed them', async () => {
    const user = newUser();
    const t = await insertThread(user);
    const col = await sharesCollection();
    const expiredId = newShareId();
    await col.insertOne({
      share_id: expiredId,
      thread_id: t.thread_id,
      user_id: user,
      created_at: new Date(Date.now() - 2 * DAY),
      expires_at: new Date(Date.now() - 1000),
      snapshot: { thread_name: 'old', initial_source: 'web', created_at: t0, updated_at: t0, messages: [] },
    });
    for (const id of [newShareId(), expiredId, 'short', 'x'.repeat(300), '../../etc/passwd', '{"$gt":""}', randomUUID()]) {
      const res = await read(id);
      expect([res.status, res.json]).toEqual([404, { detail: 'Share not found' }]);
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('is never cached past its expiry: a share expiring sooner than the 60 s max-age is cached only until then', async () => {
    const user = newUser();
    const t = await insertThread(user);
    const { json } = await share(await tokenFor(user), t.thread_id, { expires_in_days: 1 });
    const col = await sharesCollection();
    const maxAge = async (msLeft: number) => {
      await col.updateOne({ share_id: json.share_id }, { $set: { expires_at: new Date(Date.now() + msLeft) } });
      const res = await read(json.share_id);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toMatch(/^public, max-age=\d+, must-revalidate$/);
      return Number(/max-age=(\d+)/.exec(res.headers['cache-control']!)![1]);
    };
    // A day away: the 60 s cap. 30 s away: at most 30 s (a little less, as time passes). Under a second: not at all.
    expect(await maxAge(DAY)).toBe(60);
    const thirty = await maxAge(30_000);
    expect(thirty).toBeLessThanOrEqual(30);
    expect(thirty).toBeGreaterThanOrEqual(25);
    expect(await maxAge(800)).toBe(0);
  });
});

describe('share ids', () => {
  it('10,000 generated ids are distinct, 22 characters of the base64url alphabet', () => {
    const ids = Array.from({ length: 10_000 }, newShareId);
    expect(new Set(ids).size).toBe(10_000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // 16 random bytes: every base64url symbol shows up across 10,000 ids (a constant or a counter would not).
    expect(new Set(ids.join('')).size).toBe(64);
  });

  it('retries a colliding id instead of failing', async () => {
    const user = newUser();
    const t = await insertThread(user);
    const ids = await import('#lib/ids.js');
    const taken = newShareId();
    await (
      await sharesCollection()
    ).insertOne({
      share_id: taken,
      thread_id: randomUUID(),
      user_id: newUser(),
      created_at: new Date(),
      expires_at: null,
      snapshot: { thread_name: null, initial_source: 'web', created_at: t0, updated_at: t0, messages: [] },
    });
    const { vi } = await import('vitest');
    const spy = vi.spyOn(ids, 'newShareId').mockReturnValueOnce(taken);
    try {
      const res = await share(await tokenFor(user), t.thread_id);
      expect(res.status).toBe(201);
      expect(res.json.share_id).not.toBe(taken);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });
});

const list = async (token: string, threadId: string) =>
  call(listShares, {
    token,
    path: `/api/v3/threads/${threadId}/shares`,
    resource: '/api/v3/threads/{thread_id}/shares',
    pathParameters: { thread_id: threadId },
  });

const revoke = async (token: string | undefined, shareId: string) =>
  call(revokeShare, {
    method: 'DELETE',
    ...(token ? { token } : {}),
    path: `/api/v3/share/${shareId}`,
    resource: '/api/v3/share/{id}',
    pathParameters: { id: shareId },
  });

const storedShare = async (shareId: string) => (await sharesCollection()).findOne({ share_id: shareId }, { projection: { _id: 0 } });

const insertExpiredShare = (userId: string, threadId: string) =>
  insertShareDoc(userId, threadId, {
    id: newShareId(),
    createdAt: new Date(Date.now() - 2 * DAY),
    expiresAt: new Date(Date.now() - 1000),
    name: 'old',
  });

describe('GET /api/v3/threads/{thread_id}/shares', () => {
  it('lists the owner’s active shares of the thread, newest first, with their public path', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const t = await insertThread(user);
    const a = (await share(token, t.thread_id)).json;
    await new Promise((r) => setTimeout(r, 5));
    const b = (await share(token, t.thread_id, { expires_in_days: 30 })).json;
    await insertExpiredShare(user, t.thread_id);
    // Someone else's share of a thread with the same id, and the owner's share of another thread, are not listed.
    const other = await insertThread(user);
    await share(token, other.thread_id);
    const res = await list(token, t.thread_id);
    expect(res.status).toBe(200);
    expect(res.json).toEqual([
      { share_id: b.share_id, created_at: b.created_at, expires_at: b.expires_at, path: `/api/v3/share/${b.share_id}` },
      { share_id: a.share_id, created_at: a.created_at, expires_at: null, path: `/api/v3/share/${a.share_id}` },
    ]);
  });

  it('is an empty list for the owner’s thread with no share; 404 for another user’s or an unknown thread', async () => {
    const owner = newUser();
    const t = await insertThread(owner);
    const empty = await list(await tokenFor(owner), t.thread_id);
    expect([empty.status, empty.json]).toEqual([200, []]);
    await share(await tokenFor(owner), t.thread_id);
    const stranger = await list(await tokenFor(newUser()), t.thread_id);
    expect([stranger.status, stranger.json]).toEqual([404, { detail: 'Thread not found' }]);
    const unknown = await list(await tokenFor(owner), randomUUID());
    expect([unknown.status, unknown.json]).toEqual([404, { detail: 'Thread not found' }]);
    expect((await list(await tokenFor(owner), 'not-a-uuid')).status).toBe(400);
    const anon = await call(listShares, { pathParameters: { thread_id: t.thread_id } });
    expect(anon.status).toBe(401);
  });

  it('still lists the shares of a deleted thread to their owner, so they can be revoked', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const t = await insertThread(user);
    const { json } = await share(token, t.thread_id);
    expect((await call(deleteThread, { method: 'DELETE', token, pathParameters: { thread_id: t.thread_id } })).status).toBe(204);
    const res = await list(token, t.thread_id);
    expect([res.status, res.json.map((s: { share_id: string }) => s.share_id)]).toEqual([200, [json.share_id]]);
    expect((await revoke(token, json.share_id)).status).toBe(204);
    expect((await list(token, t.thread_id)).status).toBe(404);
  });
});

describe('DELETE /api/v3/share/{share_id}', () => {
  it('revokes the share (204): the public read is a 404 at once, the list no longer has it, a second revoke is a 404', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const t = await insertThread(user);
    const kept = (await share(token, t.thread_id)).json;
    const { json } = await share(token, t.thread_id);
    expect((await read(json.share_id)).status).toBe(200);
    const res = await revoke(token, json.share_id);
    expect([res.status, res.body]).toEqual([204, '']);
    const after = await read(json.share_id);
    expect([after.status, after.json, after.headers['cache-control']]).toEqual([404, { detail: 'Share not found' }, 'no-store']);
    expect(await storedShare(json.share_id)).toBeNull();
    expect((await list(token, t.thread_id)).json.map((s: { share_id: string }) => s.share_id)).toEqual([kept.share_id]);
    expect((await read(kept.share_id)).status).toBe(200);
    const again = await revoke(token, json.share_id);
    expect([again.status, again.json]).toEqual([404, { detail: 'Share not found' }]);
  });

  it('is a 404 that changes nothing for another user’s share, an unknown, malformed or expired id', async () => {
    const owner = newUser();
    const t = await insertThread(owner);
    const { json } = await share(await tokenFor(owner), t.thread_id);
    const expired = await insertExpiredShare(owner, t.thread_id);
    const before = [await storedShare(json.share_id), await storedShare(expired)];
    const stranger = await revoke(await tokenFor(newUser()), json.share_id);
    expect([stranger.status, stranger.json]).toEqual([404, { detail: 'Share not found' }]);
    for (const id of [newShareId(), randomUUID(), 'short', '{"$gt":""}', expired]) {
      const res = await revoke(await tokenFor(owner), id);
      expect([res.status, res.json]).toEqual([404, { detail: 'Share not found' }]);
    }
    expect([await storedShare(json.share_id), await storedShare(expired)]).toEqual(before);
    expect((await read(json.share_id)).status).toBe(200);
    const anon = await revoke(undefined, json.share_id);
    expect([anon.status, anon.headers['www-authenticate']]).toEqual([401, 'Bearer']);
    expect(await storedShare(json.share_id)).toEqual(before[0]);
  });

  it('revokes a MongoDB copy of a legacy share (UUID id) owned by the caller, with no legacy database configured', async () => {
    const user = newUser();
    const t = await insertThread(user);
    const id = await insertMigratedShare(user, t.thread_id);
    expect((await revoke(await tokenFor(newUser()), id)).status).toBe(404);
    expect(await storedShare(id)).not.toBeNull();
    expect((await revoke(await tokenFor(user), id.toUpperCase())).status).toBe(204);
    expect(await storedShare(id)).toBeNull();
  });
});

describe('share edges: collisions, lost answers, the expiry instant, equal creation times', () => {
  /** Stores a share under `id` for someone else, so that a new share drawing `id` collides with it. */
  async function takeId(id: string): Promise<void> {
    await (
      await sharesCollection()
    ).insertOne({
      share_id: id,
      thread_id: randomUUID(),
      user_id: newUser(),
      created_at: new Date(),
      expires_at: null,
      snapshot: { thread_name: null, initial_source: 'web', created_at: t0, updated_at: t0, messages: [] },
    });
  }

  /** The next `method` calls on the shares collection: `after` runs it first then fails as a dropped connection; `before` fails without running it. */
  async function failShares(method: 'insertOne' | 'deleteMany', when: 'before' | 'after', times = 1) {
    const { Collection, MongoNetworkError, MongoServerError } = await import('mongodb');
    const name = (await sharesCollection()).collectionName;
    const original = Collection.prototype[method] as (...args: unknown[]) => Promise<unknown>;
    let failed = 0;
    let calls = 0;
    const spy = vi.spyOn(Collection.prototype, method).mockImplementation(async function (
      this: InstanceType<typeof Collection>,
      ...args: unknown[]
    ) {
      if (this.collectionName !== name) return original.apply(this, args);
      calls++;
      if (failed >= times) return original.apply(this, args);
      failed++;
      if (when === 'after') {
        await original.apply(this, args);
        throw new MongoNetworkError('connection reset after the write');
      }
      // Not transient: a rejected write the retry loop must not repeat.
      throw new MongoServerError({ message: 'document failed validation', code: 121 });
    } as never);
    return { restore: () => spy.mockRestore(), calls: () => calls };
  }

  it('draws a new id on each collision, up to five draws, then fails with a 500 and stores nothing', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const t = await insertThread(user);
    const ids = await import('#lib/ids.js');
    const taken = newShareId();
    await takeId(taken);
    const fresh = newShareId();
    const spy = vi.spyOn(ids, 'newShareId');
    try {
      // Four collisions, then a free id on the fifth draw: created.
      spy
        .mockReturnValueOnce(taken)
        .mockReturnValueOnce(taken)
        .mockReturnValueOnce(taken)
        .mockReturnValueOnce(taken)
        .mockReturnValueOnce(fresh);
      const res = await share(token, t.thread_id);
      expect([res.status, res.json.share_id, spy.mock.calls.length]).toEqual([201, fresh, 5]);
      // Only collisions: five draws, then the duplicate-key error is a 500.
      spy.mockClear();
      spy.mockReturnValue(taken);
      const failed = await share(token, t.thread_id);
      expect([failed.status, spy.mock.calls.length]).toEqual([500, 5]);
    } finally {
      spy.mockRestore();
    }
    expect(await sharesOf(t.thread_id)).toBe(1);
  });

  it('does not retry an insert that failed for another reason than a colliding id', async () => {
    const user = newUser();
    const t = await insertThread(user);
    const fault = await failShares('insertOne', 'before', 10);
    let res;
    try {
      res = await share(await tokenFor(user), t.thread_id);
    } finally {
      fault.restore();
    }
    expect([res.status, fault.calls()]).toEqual([500, 1]);
    expect(await sharesOf(t.thread_id)).toBe(0);
  });

  it('revokes once when the delete landed but its answer was lost: the retry finds it gone and answers 204', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const t = await insertThread(user);
    const other = (await share(token, t.thread_id)).json;
    const { json } = await share(token, t.thread_id);
    const fault = await failShares('deleteMany', 'after');
    let res;
    try {
      res = await revoke(token, json.share_id);
      expect(fault.calls()).toBe(2);
    } finally {
      fault.restore();
    }
    expect(res.status).toBe(204);
    expect(await storedShare(json.share_id)).toBeNull();
    expect((await read(other.share_id)).status).toBe(200);
  });

  it('a retried revoke of another user’s share is still a 404 that deletes nothing', async () => {
    const owner = newUser();
    const t = await insertThread(owner);
    const { json } = await share(await tokenFor(owner), t.thread_id);
    const fault = await failShares('deleteMany', 'after');
    let res;
    try {
      res = await revoke(await tokenFor(newUser()), json.share_id);
      expect(fault.calls()).toBe(2);
    } finally {
      fault.restore();
    }
    expect([res.status, res.json]).toEqual([404, { detail: 'Share not found' }]);
    expect((await read(json.share_id)).status).toBe(200);
  });

  it('revokes a MongoDB copy of a legacy share once when the delete landed but its answer was lost: 204', async () => {
    const user = newUser();
    const t = await insertThread(user);
    const id = await insertMigratedShare(user, t.thread_id);
    const fault = await failShares('deleteMany', 'after');
    let res;
    try {
      res = await revoke(await tokenFor(user), id);
      expect(fault.calls()).toBe(2);
    } finally {
      fault.restore();
    }
    expect(res.status).toBe(204);
    expect(await storedShare(id)).toBeNull();
  });

  it('is readable until the millisecond before expires_at and a 404 from that millisecond on', async () => {
    const user = newUser();
    const t = await insertThread(user);
    const { json } = await share(await tokenFor(user), t.thread_id, { expires_in_days: 1 });
    const expiresAt = new Date(json.expires_at as string).getTime();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(expiresAt - 1);
      const before = await read(json.share_id);
      expect([before.status, before.headers['cache-control']]).toEqual([200, 'public, max-age=0, must-revalidate']);
      vi.setSystemTime(expiresAt);
      const at = await read(json.share_id);
      expect([at.status, at.json]).toEqual([404, { detail: 'Share not found' }]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('lists shares created in the same millisecond by share_id, highest first', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const t = await insertThread(user);
    vi.useFakeTimers({ toFake: ['Date'] });
    let created: string[];
    try {
      vi.setSystemTime(Date.now());
      created = [];
      for (let i = 0; i < 4; i++) created.push((await share(token, t.thread_id)).json.share_id);
    } finally {
      vi.useRealTimers();
    }
    const res = await list(token, t.thread_id);
    expect(new Set(res.json.map((s: { created_at: string }) => s.created_at)).size).toBe(1);
    expect(res.json.map((s: { share_id: string }) => s.share_id)).toEqual([...created].sort().reverse());
  });
});
