-- Indexes the hybrid layer's queries want on the legacy PostgreSQL database (lib/legacy/queries.ts).
--
-- The legacy schema (schema.sql, as the old backend left it) indexes neither `threads.user_id` nor
-- `messages.thread_id` nor `feedback.message_id`, so without these every list request scans `threads`, every
-- fallback read of a thread scans `messages` and every migration batch scans and sorts `threads`. Optional but recommended before the hybrid layer takes traffic;
-- additive only (no table or row changes), built without blocking writes. Run each statement on its own (not in a
-- transaction block, which CONCURRENTLY refuses), e.g.:  psql "$LEGACY_DATABASE_URL" -f scripts/legacy/indexes.sql

-- The list: the caller's threads in list order (the expression must match SORT_AT in lib/legacy/queries.ts).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_threads_user_list
    ON threads (user_id, date_trunc('milliseconds', COALESCE(updated_at, created_at, TIMESTAMP 'epoch')) DESC, id DESC);

-- The migration's walk: every thread in list order, by keyset (and its `--since` scope), without scanning and
-- sorting the whole table for each batch.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_threads_list
    ON threads (date_trunc('milliseconds', COALESCE(updated_at, created_at, TIMESTAMP 'epoch')) DESC, id DESC);

-- A thread's messages (get-thread fallback, copy on write, migration batches).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_thread_id ON messages (thread_id);

-- A message's feedback (joined into each message), and the feedback cleanup of a thread delete.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_feedback_message_id ON feedback (message_id);
