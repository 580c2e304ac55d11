/**
 * The queries the routes send, read from the driver's command monitoring: the list is covered by its index (the
 * test server has no query planner, so the index's keys are checked against the filter, projection and sort the
 * store really sends), and each read route and each `respond: false` append is one round trip.
 */
import { randomUUID } from 'node:crypto';
import type { CommandStartedEvent, Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

process.env.MONGODB_URI = `${process.env.MONGODB_URI}${process.env.MONGODB_URI!.includes('?') ? '&' : '?'}monitorCommands=true`;
const { closeMongo, getDb, getMongoClient } = await import('#lib/db/mongo.js');
const { INDEXES, ensureIndexes } = await import('#lib/db/indexes.js');
const { threadsCollection } = await import('#lib/threads/mongo-store.js');
const { handler: listThreads } = await import('#functions/list-threads.js');
const { handler: getThread } = await import('#functions/get-thread.js');
const { handler: addMessage } = await import('#functions/add-message.js');
const { tokenFor } = await import('#support/auth.js');
const { call, callStreaming } = await import('#support/lambda.js');

const commands: CommandStartedEvent[] = [];
beforeAll(async () => {
  await ensureIndexes(await getDb());
  (await getMongoClient()).on('commandStarted', (e) => commands.push(e));
});
afterAll(async () => {
  await closeMongo();
});

/** The commands `fn` sends (connection handshakes and heartbeats are not commands of the operation). */
async function sent(fn: () => Promise<unknown>): Promise<CommandStartedEvent[]> {
  commands.length = 0;
  await fn();
  return commands.filter((c) => !['hello', 'isMaster', 'ismaster', 'endSessions'].includes(c.commandName));
}

async function seed(user: string, n: number, name: string | null = 'named') {
  const ids = Array.from({ length: n }, () => randomUUID());
  const base = Date.now();
  await (
    await threadsCollection()
  ).insertMany(
    ids.map((thread_id, i) => ({
      thread_id,
      name,
      user_id: user,
      initial_source: 'web' as const,
      created_at: new Date(base + i),
      updated_at: new Date(base + i),
      metadata: {},
      messages: [0, 1, 2].map((k) => ({
        id: randomUUID(),
        role: 'user' as const,
        content: [{ type: 'text', text: `m${k}` }],
        created_at: new Date(),
      })),
    })),
  );
  return ids;
}

/** Field names a filter reads, through $and/$or/$nor. */
function filterFields(filter: Document): string[] {
  return Object.entries(filter).flatMap(([k, v]) =>
    ['$and', '$or', '$nor'].includes(k) ? (v as Document[]).flatMap(filterFields) : k.startsWith('$') ? [] : [k],
  );
}

describe('the list query', () => {
  const listIndex = INDEXES.threads!.find((ix) => ix.name === 'user_threads_list')!;
  const keys = Object.keys(listIndex.key);

  it('is covered by the list index: filter, projection and sort use only its keys, _id left out, sort in key order', async () => {
    const user = randomUUID();
    await seed(user, 3);
    const token = await tokenFor(user);
    const first = await sent(() => call(listThreads, { token, query: { limit: '2' } }));
    const cursor = (await call(listThreads, { token, query: { limit: '2' } })).headers['x-next-cursor'];
    expect(cursor).toBeTruthy();
    const next = await sent(() => call(listThreads, { token, query: { limit: '2', cursor: cursor! } }));
    const all = await sent(() => call(listThreads, { token }));
    for (const cmds of [first, next, all]) {
      const finds = cmds.filter((c) => c.commandName === 'find' && c.command.find === 'threads');
      expect(finds).toHaveLength(1);
      const { filter, projection, sort } = finds[0]!.command as { filter: Document; projection: Document; sort: Document };
      expect(filter.user_id).toBe(user);
      for (const f of filterFields(filter)) expect(keys).toContain(f);
      expect(projection._id).toBe(0);
      const returned = Object.entries(projection).filter(([k, v]) => k !== '_id' && v === 1);
      expect(returned.length).toBe(Object.keys(projection).length - 1);
      for (const [f] of returned) expect(keys).toContain(f);
      // Equality on the first key, then the sort walks the next keys in the index's direction (or all reversed).
      expect(keys[0]).toBe('user_id');
      const sortKeys = Object.keys(sort);
      expect(sortKeys).toEqual(keys.slice(1, 1 + sortKeys.length));
      const dir = sort[sortKeys[0]!] === (listIndex.key as Document)[sortKeys[0]!] ? 1 : -1;
      for (const k of sortKeys) expect(sort[k]).toBe(dir * (listIndex.key as Document)[k]);
    }
    // A covered index must be a plain one: not sparse, not partial (those leave documents out of the index).
    expect(listIndex.sparse).toBeFalsy();
    expect(listIndex.partialFilterExpression).toBeUndefined();
    const created = await (await threadsCollection()).listIndexes().toArray();
    expect(created.find((ix) => ix.name === 'user_threads_list')?.key).toEqual(listIndex.key);
  });

  it('asks for a long list in one batch (a real mongod sends 101 documents first, then needs a getMore)', async () => {
    const user = randomUUID();
    await seed(user, 150);
    const token = await tokenFor(user);
    const cmds = await sent(() => call(listThreads, { token }));
    const reads = cmds.filter((c) => c.command.find === 'threads' || c.commandName === 'getMore');
    expect(reads.map((c) => c.commandName)).toEqual(['find']);
    expect(reads[0]!.command.batchSize).toBeGreaterThanOrEqual(150);
    const paged = await sent(() => call(listThreads, { token, query: { limit: '120' } }));
    expect(paged.find((c) => c.commandName === 'find')!.command.batchSize).toBeGreaterThanOrEqual(120);
  });
});

describe('round trips', () => {
  it('get-thread, whole or paged: one command', async () => {
    const user = randomUUID();
    const [id] = await seed(user, 1);
    const token = await tokenFor(user);
    const path = { path: `/api/v3/threads/${id}`, pathParameters: { thread_id: id! } };
    const whole = await sent(() => call(getThread, { token, ...path }));
    expect(whole.map((c) => c.commandName)).toEqual(['find']);
    const paged = await sent(async () => {
      const res = await call(getThread, { token, ...path, query: { limit: '2' } });
      expect(res.json.messages).toHaveLength(2);
      expect(res.json.has_more).toBe(true);
    });
    expect(paged.map((c) => c.commandName)).toEqual(['find']);
    const before = (await call(getThread, { token, ...path })).json.messages[2].id as string;
    const older = await sent(async () => {
      const res = await call(getThread, { token, ...path, query: { limit: '1', before } });
      expect(res.json.messages).toHaveLength(1);
      expect(res.json.has_more).toBe(true);
    });
    expect(older.map((c) => c.commandName)).toEqual(['aggregate']);
  });

  it('respond: false appends in one command that also counts the write and names an unnamed thread', async () => {
    const user = randomUUID();
    const [named] = await seed(user, 1, 'kept');
    const [unnamed] = await seed(user, 1, null);
    const token = await tokenFor(user);
    for (const [id, expected] of [
      [named!, 'kept'],
      [unnamed!, 'What is zakat?'],
    ] as const) {
      const cmds = await sent(async () => {
        const res = await callStreaming(addMessage, {
          method: 'POST',
          token,
          path: `/api/v3/threads/${id}`,
          pathParameters: { thread_id: id },
          body: { content: 'What is zakat?', role: 'user', respond: false },
        });
        expect(res.status).toBe(201);
      });
      // One round trip: the caller's write-limit window (lib/db/rate-limits.ts), then the append, then the naming, as the
      // ordered statements of one update command.
      expect(cmds.map((c) => `${c.commandName} ${String(c.command[c.commandName])}`)).toEqual(['update threads']);
      const statements = (cmds[0]!.command.updates as { q: Record<string, unknown>; upsert?: boolean }[]).map((u) =>
        u.upsert ? 'count' : 'name' in u.q ? 'name' : 'append',
      );
      expect(statements).toEqual(['count', 'append', 'name']);
      const doc = await (await threadsCollection()).findOne({ thread_id: id });
      expect(doc!.name).toBe(expected);
      expect(doc!.messages).toHaveLength(4);
    }
  });
});
