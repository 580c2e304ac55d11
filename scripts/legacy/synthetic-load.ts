/**
 * `npm run legacy:synthetic -- [--users 2000] [--threads 10] [--rows 20] [--seed 1]`: fills a legacy database with
 * the migration's synthetic scale (by default 2,000 users, 20,000 threads, about 400,000 message rows, every row
 * shape, realistic sizes, feedback, one share per ten users; deterministic for a seed), then applies
 * scripts/legacy/indexes.sql. Into LEGACY_DATABASE_URL when set, else the dev database of `npm start`.
 * The benchmark (scripts/bench-legacy.ts) loads the same data through `loadSynthetic`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openLegacyDevDb } from '#support/legacy-dev-db.js';
import type { QueryFn } from './seed-data.js';
import { insertLegacyRowsBulk, reserveIds, seededRandom, syntheticUser } from './synthetic.js';

export interface SyntheticShape {
  users: number;
  threads: number;
  rows: number;
  seed: number;
}

const INDEXES_SQL = new URL('./indexes.sql', import.meta.url);

/** Applies scripts/legacy/indexes.sql, one statement at a time (CONCURRENTLY refuses a transaction block). */
export async function applyLegacyIndexes(query: QueryFn): Promise<void> {
  const sql = await readFile(INDEXES_SQL, 'utf8');
  for (const statement of sql
    .split(';')
    .map((s) => s.replace(/--.*$/gm, '').trim())
    .filter(Boolean)) {
    await query(statement);
  }
}

/** Loads the synthetic users, 200 at a time; returns the counts inserted. */
export async function loadSynthetic(
  query: QueryFn,
  shape: SyntheticShape,
  log: (m: string) => void = () => undefined,
): Promise<{ users: number; threads: number; messages: number; feedback: number; shares: number }> {
  const max = (await query('SELECT COALESCE(MAX(id), 0)::int AS m FROM messages')) as { rows: { m: number }[] };
  reserveIds(max.rows[0]!.m + 1);
  const r = seededRandom(shape.seed);
  const counts = { users: 0, threads: 0, messages: 0, feedback: 0, shares: 0 };
  const start = Date.UTC(2024, 5, 1);
  for (let u = 0; u < shape.users; u += 200) {
    const rows = Array.from({ length: Math.min(200, shape.users - u) }, (_, i) => {
      const n = u + i;
      const id = `${(0x50000000 + shape.seed).toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
      return syntheticUser(id, r, {
        threads: shape.threads,
        rowsPerThread: shape.rows,
        start: new Date(start + n * 3_600_000),
        share: n % 10 === 0,
      });
    });
    const merged = {
      users: rows.flatMap((x) => x.users ?? []),
      threads: rows.flatMap((x) => x.threads ?? []),
      messages: rows.flatMap((x) => x.messages ?? []),
      feedback: rows.flatMap((x) => x.feedback ?? []),
      shares: rows.flatMap((x) => x.shares ?? []),
    };
    await insertLegacyRowsBulk(query, merged);
    counts.users += merged.users.length;
    counts.threads += merged.threads.length;
    counts.messages += merged.messages.length;
    counts.feedback += merged.feedback.length;
    counts.shares += merged.shares.length;
    log(
      `${counts.users.toLocaleString('en-US')} users, ${counts.threads.toLocaleString('en-US')} threads, ${counts.messages.toLocaleString('en-US')} rows`,
    );
  }
  await applyLegacyIndexes(query);
  await query('ANALYZE');
  return counts;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '2000' },
      threads: { type: 'string', default: '10' },
      rows: { type: 'string', default: '20' },
      seed: { type: 'string', default: '1' },
    },
    strict: true,
  });
  const shape = { users: Number(values.users), threads: Number(values.threads), rows: Number(values.rows), seed: Number(values.seed) };
  for (const [k, v] of Object.entries(shape)) if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive integer`);
  const log = (m: string) => console.error(`[synthetic] ${m}`);
  const dev = process.env.LEGACY_DATABASE_URL ? undefined : await openLegacyDevDb({ log });
  const client = new pg.Client({ connectionString: process.env.LEGACY_DATABASE_URL ?? dev!.url });
  await client.connect();
  try {
    const t0 = Date.now();
    const counts = await loadSynthetic((sql, params) => client.query(sql, params), shape, log);
    console.log(
      `loaded ${counts.users} users, ${counts.threads} threads, ${counts.messages} message rows, ${counts.feedback} feedback rows, ` +
        `${counts.shares} shares in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  } finally {
    await client.end();
    await dev?.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(`legacy:synthetic failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
