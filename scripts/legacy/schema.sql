-- The legacy Ansari PostgreSQL schema (the SQL era, before the MongoDB move), for local runs and tests.
--
-- Source: ansari-backend `sql/00_create_schema.sql` as last committed before its removal (779f900^), with the
-- production patches `sql_to_prod/12..14` applied (UUID user ids, `ref_list`, WhatsApp merged into the main
-- tables: `source_type`, `users.source`, `users.phone_num`, `threads.initial_source`, `messages.source`).
-- See /work/shared/reference/ansari-backend.md §1.2.
--
-- Differences from the original, all deliberate:
-- - UUID defaults use the built-in `gen_random_uuid()` (PostgreSQL 13+) instead of `uuid_generate_v4()`: the
--   `uuid-ossp` extension is not available in PGlite, and the built-in needs no extension anywhere.
-- - Everything is re-runnable: `IF NOT EXISTS` on tables and indexes, enum types created in DO blocks.
-- - The Quran review tables (`reviewers`, `quran_answers`) are left out: nothing in this project reads them.
-- Column types, nullability, defaults, keys and cascades are otherwise as in the original; timestamps are
-- `TIMESTAMP` (without time zone) holding UTC wall-clock time, as the Python backend wrote them.

DO $$
BEGIN
  CREATE TYPE feedback_class AS ENUM ('thumbsup', 'thumbsdown', 'redflag');
EXCEPTION WHEN duplicate_object THEN NULL;
END
$$;

DO $$
BEGIN
  CREATE TYPE source_type AS ENUM ('ios', 'android', 'web', 'whatsapp');
EXCEPTION WHEN duplicate_object THEN NULL;
END
$$;

CREATE TABLE IF NOT EXISTS users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(100) UNIQUE,            -- null for guest and WhatsApp accounts
    password_hash VARCHAR(255),
    first_name VARCHAR(50),
    last_name VARCHAR(50),
    preferred_language VARCHAR(10) DEFAULT 'en',
    is_guest BOOLEAN NOT NULL DEFAULT FALSE,
    source source_type NOT NULL DEFAULT 'web',
    phone_num VARCHAR(20) UNIQUE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_users_phone_num ON users (phone_num) WHERE phone_num IS NOT NULL;

CREATE TABLE IF NOT EXISTS preferences (
    id SERIAL PRIMARY KEY,
    user_id UUID NOT NULL,
    pref_key VARCHAR(100) NOT NULL,
    pref_value VARCHAR(255) NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (user_id, pref_key),
    FOREIGN KEY (user_id) REFERENCES users(id)
);

CREATE TABLE IF NOT EXISTS threads (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(100),
    user_id UUID NOT NULL,
    initial_source source_type NOT NULL DEFAULT 'web',
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (user_id) REFERENCES users(id)
);

CREATE INDEX IF NOT EXISTS idx_threads_updated_at ON threads (updated_at);

CREATE TABLE IF NOT EXISTS access_tokens (
    id SERIAL PRIMARY KEY,
    user_id UUID NOT NULL,
    token VARCHAR(255) NOT NULL,
    FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS refresh_tokens (
    id SERIAL PRIMARY KEY,
    access_token_id INTEGER NOT NULL,
    user_id UUID NOT NULL,
    token VARCHAR(255) NOT NULL,
    FOREIGN KEY (user_id) REFERENCES users(id),
    FOREIGN KEY (access_token_id) REFERENCES access_tokens(id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS reset_tokens (
    user_id UUID PRIMARY KEY,
    token VARCHAR(255) NOT NULL,
    FOREIGN KEY (user_id) REFERENCES users(id)
);

CREATE TABLE IF NOT EXISTS messages (
    id SERIAL PRIMARY KEY,
    user_id UUID NOT NULL,
    thread_id UUID NOT NULL,
    role TEXT NOT NULL,
    tool_name TEXT,
    tool_details JSONB DEFAULT '{}'::jsonb,
    ref_list JSONB,
    content TEXT NOT NULL,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    source source_type NOT NULL DEFAULT 'web',
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (user_id) REFERENCES users(id),
    FOREIGN KEY (thread_id) REFERENCES threads(id) ON DELETE CASCADE
);

COMMENT ON COLUMN messages.ref_list IS 'JSON array containing reference list data for tool responses';

CREATE TABLE IF NOT EXISTS feedback (
    id SERIAL PRIMARY KEY,
    user_id UUID NOT NULL,
    thread_id UUID NOT NULL,
    message_id INTEGER NOT NULL,
    class feedback_class NOT NULL,
    comment TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (user_id) REFERENCES users(id),
    FOREIGN KEY (thread_id) REFERENCES threads(id) ON DELETE CASCADE,
    FOREIGN KEY (message_id) REFERENCES messages(id)
);

CREATE TABLE IF NOT EXISTS share (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    content TEXT
);
