/**
 * The export of a person's threads (GET /api/v3/threads/export): every thread of the caller, from both stores,
 * streamed a thread at a time as NDJSON (each line what GET /threads/{id} answers) or as one Markdown document.
 */
import { Readable } from 'node:stream';
import { withDbBudget } from '#lib/db/retry.js';
import { NotFoundError } from '#lib/errors.js';
import { logger, publishRecord, userRef } from '#lib/observability.js';
import { markdownDocument } from '#lib/threads/markdown.js';
import type { ThreadRecord } from '#lib/threads/types.js';
import { threadView } from '#lib/threads/views.js';
import { getThread, listThreads, type ThreadListPage } from './threads.js';

export type ExportFormat = 'ndjson' | 'markdown';

/** Threads listed per page while walking the caller's list. */
const PAGE = 100;
/**
 * Threads read at once, ahead of the one being written: hides the round trips without holding more than this many
 * whole threads in memory (the body also waits for the client: a slow reader stops the reads).
 */
const READ_AHEAD = 4;

export interface ThreadExport {
  contentType: string;
  filename: string;
  body: Readable;
  /** Settles once the body has ended or been given up (its log line and metrics are written by then). */
  settled: Promise<void>;
}

/** How each format writes the stream: something first, one piece per thread, something when there were none. */
function writerFor(format: ExportFormat, now: Date): { header: string; thread(t: ThreadRecord): string; empty: string } {
  if (format === 'markdown') return markdownDocument(now);
  return { header: '', thread: (t) => `${JSON.stringify(threadView(t, 'json'))}\n`, empty: '' };
}

/** The whole thread, or null when it went between the list and the read. Each read has a database budget of its own. */
async function readWhole(userId: string, threadId: string): Promise<ThreadRecord | null> {
  try {
    return await withDbBudget(() => getThread(userId, threadId));
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

/**
 * Starts the export. The first page of the list is read within the request, so an unreachable database is a 503
 * before anything is sent; the rest is read as the client takes the body (a legacy outage fails the export
 * instead of leaving legacy threads out). Threads come in list order, newest first.
 */
export async function exportThreads(
  userId: string,
  format: ExportFormat,
  logContext: Record<string, unknown> = {},
  now = new Date(),
): Promise<ThreadExport> {
  const started = Date.now();
  const first = await listThreads(userId, { limit: PAGE, complete: true });
  const writer = writerFor(format, now);
  const stats = { threads: 0, bytes: 0, finished: false, error: undefined as unknown };

  async function* pieces(): AsyncGenerator<string> {
    try {
      const emit = (piece: string) => {
        stats.bytes += Buffer.byteLength(piece, 'utf8');
        return piece;
      };
      if (writer.header) yield emit(writer.header);
      let page: ThreadListPage = first;
      for (;;) {
        for (let i = 0; i < page.items.length; i += READ_AHEAD) {
          const reads = page.items.slice(i, i + READ_AHEAD).map((t) => readWhole(userId, t.thread_id));
          reads.forEach((r) => r.catch(() => undefined)); // awaited in order below; keeps a later failure handled
          for (const read of reads) {
            const thread = await read;
            if (!thread) continue;
            stats.threads++;
            yield emit(writer.thread(thread));
          }
        }
        const cursor = page.nextCursor;
        if (!cursor) break;
        page = await withDbBudget(() => listThreads(userId, { limit: PAGE, cursor, complete: true }));
      }
      if (stats.threads === 0 && writer.empty) yield emit(writer.empty);
      stats.finished = true;
    } catch (err) {
      // A client that went away destroys the body, which throws its error in here: that is not a failure.
      if (!body.destroyed) stats.error = err;
      throw err;
    }
  }

  const body = Readable.from(pieces(), { objectMode: false });
  const settled = new Promise<void>((resolve) => body.once('close', resolve)).then(() => {
    const outcome = stats.finished ? 'complete' : stats.error ? 'failed' : 'client_gone';
    const durationMs = Date.now() - started;
    // Published here: the stream outlives the request the middleware measures. Counts only, never content.
    const fields = { ...logContext, user: userRef(userId), format, outcome, threads: stats.threads, bytes: stats.bytes, durationMs };
    if (stats.error) logger.error('export', { ...fields, error: stats.error as Error });
    else logger.info('export', fields);
    publishRecord({ format, outcome }, [
      ['ExportThreads', 'Count', stats.threads],
      ['ExportBytes', 'Bytes', stats.bytes],
      ['ExportDuration', 'Milliseconds', durationMs],
    ]);
  });
  const day = now.toISOString().slice(0, 10);
  return format === 'markdown'
    ? { contentType: 'text/markdown; charset=utf-8', filename: `ansari-conversations-${day}.md`, body, settled }
    : { contentType: 'application/x-ndjson; charset=utf-8', filename: `ansari-conversations-${day}.ndjson`, body, settled };
}
