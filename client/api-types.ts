/** Generated from docs/openapi.json by `npm run openapi`: do not edit. */
export type paths = {
    "/api/v3/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This document
         * @description The OpenAPI 3.1 document of this API. No login.
         */
        get: operations["openApi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v3/share/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a shared thread (public)
         * @description `id` is a `share_id`. No login: an `Authorization` header is ignored. Messages in block form, or display messages with `format=text`; no owner, thread id or feedback.
         */
        get: operations["getShare"];
        put?: never;
        /**
         * Share a thread
         * @description `id` is the caller’s thread id. A frozen copy of the thread as it is now, readable by anyone with its `share_id`; each call makes a new share. The body is optional.
         */
        post: operations["shareThread"];
        /**
         * Revoke a share
         * @description `id` is a `share_id` (legacy UUIDs included). Its public read is a 404 from then on; cached copies end within 60 s.
         */
        delete: operations["revokeShare"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v3/threads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the caller’s threads
         * @description Newest first by `updated_at` (ties by `thread_id`); MongoDB and legacy threads in one order. Keyset pages: `limit`, then `cursor`.
         */
        get: operations["listThreads"];
        put?: never;
        /**
         * Create a thread
         * @description An empty thread. The body is optional: none or `{}` is a thread without a name from the web.
         */
        post: operations["createThread"];
        /**
         * Erase all of the caller’s data
         * @description Deletes every thread of the caller in both stores (overflow chunks and legacy SQL rows included), every share they created and their rate-limit counters. A call clears up to 2,000 threads: while `complete` is false, call again. Idempotent; the app calls it before deleting the account.
         */
        delete: operations["eraseThreads"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v3/threads/{thread_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a thread
         * @description Messages oldest first, in block form (`Thread`) or, with `format=text`, as display messages (`TextThread`, one per reply). `limit` gives the most recent messages, `before` those older than a message id.
         */
        get: operations["getThread"];
        put?: never;
        /**
         * Add a message and stream the assistant’s reply
         * @description Stores the message; with `respond` (the default) the assistant answers and the reply streams back as it is written: display text by default, one `ReplyEvent` JSON object per line with `Accept: application/x-ndjson`. A failure mid-stream stores the partial answer (`interrupted`) and ends the body with a notice (an `error` event in NDJSON).
         */
        post: operations["addMessage"];
        /**
         * Delete a thread
         * @description With its messages (and the legacy thread in SQL). Shares are copies and stay readable until revoked.
         */
        delete: operations["deleteThread"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v3/threads/{thread_id}/messages/{message_id}/feedback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rate an assistant message
         * @description Replaces earlier feedback (`created_at` stays the first time). `message_id` is any id the API gives out: a stored id, a `format=text` reply id, `X-Reply-Message-Id`. A user message is a 400.
         */
        post: operations["setFeedback"];
        /**
         * Remove the feedback of an assistant message
         * @description Also a 204 when the message has none. A user message is a 400.
         */
        delete: operations["deleteFeedback"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v3/threads/{thread_id}/name": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rename a thread
         * @description The name is trimmed and cut to 100 characters; blank is a 400. A legacy thread is renamed in SQL.
         */
        post: operations["renameThread"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v3/threads/{thread_id}/shares": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the caller’s shares of a thread
         * @description Unexpired shares, newest first; also after the thread was deleted (to revoke them). Legacy SQL shares are not listed.
         */
        get: operations["listShares"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v3/threads/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export all of the caller’s threads
         * @description Streams every thread of the caller, newest first, as a download: NDJSON with one `Thread` per line, each as `GET /threads/{thread_id}` gives it, or with `?format=markdown` one readable Markdown document. A failure after the download began cuts it off.
         */
        get: operations["exportThreads"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
};
export type webhooks = Record<string, never>;
export type components = {
    schemas: {
        /** @description An Anthropic Messages API content block, stored and returned as it is (unknown types are kept) */
        Block: {
            /** @description text, tool_use, tool_result, document, image, thinking, … */
            type: string;
        } & {
            [key: string]: unknown;
        };
        /** @description What one erase call removed, and whether anything is left */
        EraseResult: {
            /** @description False when threads are left: call again until true */
            complete: boolean;
            /** @description What this call removed, each store counting its own */
            deleted: {
                threads: number;
                overflow_chunks: number;
                shares: number;
                legacy_threads: number;
                legacy_messages: number;
                legacy_shares: number;
                rate_limit_counters: number;
            };
        };
        /** @description Every error answer, the functions’ and API Gateway’s own: a message for a human */
        Error: {
            detail: string;
        };
        /** @description Every thread as one readable Markdown document: the text view, citations as footnotes */
        ExportMarkdown: string;
        /** @description Feedback on an assistant message (the owner’s views only; shares hold none) */
        Feedback: {
            /** @enum {string} */
            class: "thumbsup" | "thumbsdown" | "redflag";
            comment: string | null;
            created_at: components["schemas"]["Timestamp"];
            updated_at: components["schemas"]["Timestamp"];
        };
        /** @description A stored message in block form */
        Message: {
            /** @description A UUID, or a legacy row id such as "102" or "301-tool_use" */
            id: string;
            /** @enum {string} */
            role: "user" | "assistant";
            content: components["schemas"]["Block"][];
            created_at: components["schemas"]["Timestamp"];
            model?: string;
            stop_reason?: string | null;
            /**
             * @description The answer was cut short; this is what there was of it
             * @constant
             */
            interrupted?: true;
            feedback?: components["schemas"]["Feedback"];
            /** @description Token usage of the model call (never in shares) */
            usage?: {
                [key: string]: unknown;
            };
        };
        /** @description A thread just created: no messages yet */
        NewThread: {
            /**
             * Format: uuid
             * @description A lower-case UUID
             */
            thread_id: string;
            thread_name: string | null;
            created_at: components["schemas"]["Timestamp"];
            updated_at: components["schemas"]["Timestamp"];
            /** @description web, ios, android, whatsapp or mcp (legacy threads keep theirs) */
            initial_source: string;
            /** @constant */
            storage: "mongodb";
            /** @description Client metadata given at creation (at most 16 KiB as JSON) */
            metadata: {
                [key: string]: unknown;
            };
            messages: components["schemas"]["Message"][];
        };
        /** @description This document */
        OpenApiDocument: {
            openapi: string;
            info: {
                title: string;
                version: string;
            } & {
                [key: string]: unknown;
            };
            paths: {
                [key: string]: unknown;
            };
        } & {
            [key: string]: unknown;
        };
        /** @description One line of the NDJSON reply stream */
        ReplyEvent: {
            /** @constant */
            type: "text";
            text: string;
        } | ({
            /** @constant */
            type: "tool_use";
            id: string;
            name: string;
            input: unknown;
        } & {
            [key: string]: unknown;
        }) | ({
            /** @constant */
            type: "tool_result";
            tool_use_id: string;
        } & {
            [key: string]: unknown;
        }) | {
            /** @constant */
            type: "message";
            message: components["schemas"]["Message"];
        } | {
            /** @constant */
            type: "error";
            detail: string;
        } | {
            /** @constant */
            type: "done";
        };
        /** @description The reply’s display text as raw UTF-8, written as the model produces it: the whole equals the reply’s `format=text` content */
        ReplyText: string;
        /** @description A new share of a thread */
        ShareCreated: {
            /** @constant */
            status: "success";
            share_id: string;
            /**
             * Format: uuid
             * @description A lower-case UUID
             */
            thread_id: string;
            created_at: components["schemas"]["Timestamp"];
            expires_at: components["schemas"]["Timestamp"] | null;
        };
        /** @description A message of a share: no feedback, no token usage */
        SharedMessage: {
            /** @description A UUID, or a legacy row id such as "102" or "301-tool_use" */
            id: string;
            /** @enum {string} */
            role: "user" | "assistant";
            content: components["schemas"]["Block"][];
            /** @description null in a legacy share when the message row is gone */
            created_at: components["schemas"]["Timestamp"] | null;
            model?: string;
            stop_reason?: string | null;
            /**
             * @description The answer was cut short; this is what there was of it
             * @constant
             */
            interrupted?: true;
        };
        /** @description A display message of a share */
        SharedTextMessage: {
            /** @description A user message’s id, or the id of the last stored message of a reply */
            id: string;
            /** @enum {string} */
            role: "user" | "assistant";
            /** @description Display text: text blocks joined, ` [n]` citation markers, a `**Citations**:` appendix */
            content: string;
            /** @description null in a legacy share when the message row is gone */
            created_at: components["schemas"]["Timestamp"] | null;
        };
        /** @description A public share in display form (`?format=text`) */
        SharedTextThread: {
            share_id: string;
            thread_name: string | null;
            /** @description null for a legacy share (its row has no time) */
            created_at: components["schemas"]["Timestamp"] | null;
            expires_at: components["schemas"]["Timestamp"] | null;
            messages: components["schemas"]["SharedTextMessage"][];
        };
        /** @description A public share: the frozen copy of a thread, without owner, feedback or usage */
        SharedThread: {
            share_id: string;
            thread_name: string | null;
            /** @description null for a legacy share (its row has no time) */
            created_at: components["schemas"]["Timestamp"] | null;
            expires_at: components["schemas"]["Timestamp"] | null;
            messages: components["schemas"]["SharedMessage"][];
        };
        /** @description An active share of one of the caller’s threads */
        ShareSummary: {
            share_id: string;
            created_at: components["schemas"]["Timestamp"];
            expires_at: components["schemas"]["Timestamp"] | null;
            /** @description The public path, /api/v3/share/{share_id} */
            path: string;
        };
        /** @description A display message of `?format=text`: one per user message, one per assistant reply */
        TextMessage: {
            /** @description A user message’s id, or the id of the last stored message of a reply */
            id: string;
            /** @enum {string} */
            role: "user" | "assistant";
            /** @description Display text: text blocks joined, ` [n]` citation markers, a `**Citations**:` appendix */
            content: string;
            created_at: components["schemas"]["Timestamp"];
            feedback?: components["schemas"]["Feedback"];
        };
        /** @description A thread with (a page of) its display messages (`?format=text`) */
        TextThread: {
            /**
             * Format: uuid
             * @description A lower-case UUID
             */
            thread_id: string;
            thread_name: string | null;
            created_at: components["schemas"]["Timestamp"];
            updated_at: components["schemas"]["Timestamp"];
            /** @description web, ios, android, whatsapp or mcp (legacy threads keep theirs) */
            initial_source: string;
            /** @enum {string} */
            storage: "mongodb" | "legacy";
            /** @description Client metadata given at creation (at most 16 KiB as JSON) */
            metadata: {
                [key: string]: unknown;
            };
            messages: components["schemas"]["TextMessage"][];
            has_more: boolean;
        };
        /** @description A thread with (a page of) its messages in block form, oldest first */
        Thread: {
            /**
             * Format: uuid
             * @description A lower-case UUID
             */
            thread_id: string;
            thread_name: string | null;
            created_at: components["schemas"]["Timestamp"];
            updated_at: components["schemas"]["Timestamp"];
            /** @description web, ios, android, whatsapp or mcp (legacy threads keep theirs) */
            initial_source: string;
            /** @enum {string} */
            storage: "mongodb" | "legacy";
            /** @description Client metadata given at creation (at most 16 KiB as JSON) */
            metadata: {
                [key: string]: unknown;
            };
            messages: components["schemas"]["Message"][];
            has_more: boolean;
        };
        /** @description A thread without its messages */
        ThreadSummary: {
            /**
             * Format: uuid
             * @description A lower-case UUID
             */
            thread_id: string;
            thread_name: string | null;
            created_at: components["schemas"]["Timestamp"];
            updated_at: components["schemas"]["Timestamp"];
            /** @description web, ios, android, whatsapp or mcp (legacy threads keep theirs) */
            initial_source: string;
            /** @enum {string} */
            storage: "mongodb" | "legacy";
        };
        /**
         * Format: date-time
         * @description ISO 8601 UTC time with milliseconds
         * @example 2026-11-23T17:04:05.123Z
         */
        Timestamp: string;
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
};
export type $defs = Record<string, never>;
export interface operations {
    openApi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The document */
            200: {
                headers: {
                    /** @description How long a browser or CDN may keep the answer */
                    "Cache-Control": string;
                    /** @description A validator for `If-None-Match` */
                    ETag: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenApiDocument"];
                };
            };
            /** @description Not modified (`If-None-Match` matched) */
            304: {
                headers: {
                    /** @description How long a browser or CDN may keep the answer */
                    "Cache-Control": string;
                    /** @description A validator for `If-None-Match` */
                    ETag: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description API Gateway’s throttling */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The function failed (API Gateway’s answer) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No answer in time (API Gateway’s integration timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getShare: {
        parameters: {
            query?: {
                /** @description `text`: display messages, one per reply (what older clients render) */
                format?: "json" | "text";
            };
            header?: never;
            path: {
                /** @description A share id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The shared thread */
            200: {
                headers: {
                    /** @description How long a browser or CDN may keep the answer */
                    "Cache-Control": string;
                    /** @description `noindex`: shared threads stay out of search engines */
                    "X-Robots-Tag": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SharedThread"] | components["schemas"]["SharedTextThread"];
                };
            };
            /** @description Invalid input (path, query or body); nothing was written */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown, malformed, expired or revoked share (`Cache-Control: no-store`) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description API Gateway’s throttling */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The function failed (API Gateway’s answer) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The database is unavailable; retry after `Retry-After` */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No answer in time (API Gateway’s integration timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    shareThread: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A thread id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    /** @description Default: the deployment’s, else no expiry */
                    expires_in_days?: number;
                };
            };
        };
        responses: {
            /** @description The share */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShareCreated"];
                };
            };
            /** @description Invalid input (path, query or body); nothing was written */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid access token */
            401: {
                headers: {
                    /** @description Always `Bearer`: refresh the access token and retry once */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such thread of the caller */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Body over 256 KiB, or a thread too large to copy into one share */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A body that is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Past the caller’s rate limit, or API Gateway’s throttling; nothing was done */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The function failed (API Gateway’s answer) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The database is unavailable; retry after `Retry-After` */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No answer in time (API Gateway’s integration timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    revokeShare: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A share id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid input (path, query or body); nothing was written */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid access token */
            401: {
                headers: {
                    /** @description Always `Bearer`: refresh the access token and retry once */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown, expired, already revoked, or another user’s share */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Past the caller’s rate limit, or API Gateway’s throttling; nothing was done */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The function failed (API Gateway’s answer) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The database is unavailable; retry after `Retry-After` */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No answer in time (API Gateway’s integration timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listThreads: {
        parameters: {
            query?: {
                /** @description 1 to 500 threads (plain decimal digits) */
                limit?: string;
                /** @description The `X-Next-Cursor` of the previous page */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The threads, without messages */
            200: {
                headers: {
                    /** @description The cursor of the next page (pass it as `cursor`); absent on the last page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ThreadSummary"][];
                };
            };
            /** @description Invalid input (path, query or body); nothing was written */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid access token */
            401: {
                headers: {
                    /** @description Always `Bearer`: refresh the access token and retry once */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description API Gateway’s throttling */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The function failed (API Gateway’s answer) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The database is unavailable; retry after `Retry-After` */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No answer in time (API Gateway’s integration timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createThread: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    /** @description Trimmed; blank is refused; cut to 100 characters */
                    name?: string;
                    /**
                     * @default web
                     * @enum {string}
                     */
                    initial_source?: "web" | "ios" | "android" | "whatsapp" | "mcp";
                    /**
                     * @description At most 16 KiB as JSON; keys may not start with "$" or contain "."
                     * @default {}
                     */
                    metadata?: {
                        [key: string]: unknown;
                    };
                };
            };
        };
        responses: {
            /** @description The new thread */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NewThread"];
                };
            };
            /** @description Invalid input (path, query or body); nothing was written */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid access token */
            401: {
                headers: {
                    /** @description Always `Bearer`: refresh the access token and retry once */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Body over 256 KiB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A body that is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Past the caller’s rate limit, or API Gateway’s throttling; nothing was done */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The function failed (API Gateway’s answer) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The database is unavailable; retry after `Retry-After` */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No answer in time (API Gateway’s integration timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    eraseThreads: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What this call removed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EraseResult"];
                };
            };
            /** @description Missing or invalid access token */
            401: {
                headers: {
                    /** @description Always `Bearer`: refresh the access token and retry once */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Past the caller’s rate limit, or API Gateway’s throttling; nothing was done */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The function failed (API Gateway’s answer) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The database is unavailable; retry after `Retry-After` */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No answer in time (API Gateway’s integration timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getThread: {
        parameters: {
            query?: {
                /** @description `text`: display messages, one per reply (what older clients render) */
                format?: "json" | "text";
                /** @description The N most recent messages, 1 to 500 (display messages with `format=text`) */
                limit?: string;
                /** @description Only messages older than this message id */
                before?: string;
            };
            header?: never;
            path: {
                /** @description A thread id */
                thread_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The thread */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Thread"] | components["schemas"]["TextThread"];
                };
            };
            /** @description Invalid input (path, query or body); nothing was written */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid access token */
            401: {
                headers: {
                    /** @description Always `Bearer`: refresh the access token and retry once */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such thread of the caller, or an unknown `before` id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description API Gateway’s throttling */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The function failed (API Gateway’s answer) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The database is unavailable; retry after `Retry-After` */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No answer in time (API Gateway’s integration timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    addMessage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A thread id */
                thread_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @enum {string} */
                    role: "user" | "assistant";
                    content: string | unknown[];
                    /**
                     * @description false: only store the message (201), no reply
                     * @default true
                     */
                    respond?: boolean;
                };
            };
        };
        responses: {
            /** @description The reply, streamed */
            200: {
                headers: {
                    /** @description The id of the stored user message */
                    "X-Message-Id": string;
                    /** @description The id of the final assistant message of the reply (the one feedback goes to) */
                    "X-Reply-Message-Id": string;
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": components["schemas"]["ReplyText"];
                    "application/x-ndjson": components["schemas"]["ReplyEvent"];
                };
            };
            /** @description Stored without a reply (`respond: false`) */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Invalid input (path, query or body); nothing was written */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid access token */
            401: {
                headers: {
                    /** @description Always `Bearer`: refresh the access token and retry once */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such thread of the caller */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A reply is being written in this thread; try again when it has finished */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Body over 256 KiB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A body that is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Past the caller’s rate limit, or API Gateway’s throttling; nothing was done */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The model failed before the reply began (the user message stays stored) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The database or the model is unavailable; retry after `Retry-After` */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The model did not answer in time (the user message stays stored) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteThread: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A thread id */
                thread_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid input (path, query or body); nothing was written */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid access token */
            401: {
                headers: {
                    /** @description Always `Bearer`: refresh the access token and retry once */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such thread of the caller */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Past the caller’s rate limit, or API Gateway’s throttling; nothing was done */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The function failed (API Gateway’s answer) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The database is unavailable; retry after `Retry-After` */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No answer in time (API Gateway’s integration timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    setFeedback: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A thread id */
                thread_id: string;
                /** @description Any message id the API gives out (stored, `format=text` reply, `X-Reply-Message-Id`) */
                message_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @enum {string} */
                    class: "thumbsup" | "thumbsdown" | "redflag";
                    comment?: string | null;
                };
            };
        };
        responses: {
            /** @description The stored feedback */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Feedback"];
                };
            };
            /** @description Invalid input (path, query or body); nothing was written */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid access token */
            401: {
                headers: {
                    /** @description Always `Bearer`: refresh the access token and retry once */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such thread of the caller, or no such message */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Body over 256 KiB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A body that is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Past the caller’s rate limit, or API Gateway’s throttling; nothing was done */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The function failed (API Gateway’s answer) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The database is unavailable; retry after `Retry-After` */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No answer in time (API Gateway’s integration timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteFeedback: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A thread id */
                thread_id: string;
                /** @description Any message id the API gives out (stored, `format=text` reply, `X-Reply-Message-Id`) */
                message_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The message has no feedback */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid input (path, query or body); nothing was written */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid access token */
            401: {
                headers: {
                    /** @description Always `Bearer`: refresh the access token and retry once */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such thread of the caller, or no such message */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Past the caller’s rate limit, or API Gateway’s throttling; nothing was done */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The function failed (API Gateway’s answer) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The database is unavailable; retry after `Retry-After` */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No answer in time (API Gateway’s integration timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    renameThread: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A thread id */
                thread_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Trimmed; blank is refused; cut to 100 characters */
                    name: string;
                };
            };
        };
        responses: {
            /** @description The renamed thread */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ThreadSummary"];
                };
            };
            /** @description Invalid input (path, query or body); nothing was written */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid access token */
            401: {
                headers: {
                    /** @description Always `Bearer`: refresh the access token and retry once */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such thread of the caller */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Body over 256 KiB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A body that is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Past the caller’s rate limit, or API Gateway’s throttling; nothing was done */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The function failed (API Gateway’s answer) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The database is unavailable; retry after `Retry-After` */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No answer in time (API Gateway’s integration timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listShares: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A thread id */
                thread_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The shares (`[]` when none) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShareSummary"][];
                };
            };
            /** @description Invalid input (path, query or body); nothing was written */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid access token */
            401: {
                headers: {
                    /** @description Always `Bearer`: refresh the access token and retry once */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The caller has neither the thread nor a share of it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description API Gateway’s throttling */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The function failed (API Gateway’s answer) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The database is unavailable; retry after `Retry-After` */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No answer in time (API Gateway’s integration timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    exportThreads: {
        parameters: {
            query?: {
                format?: "ndjson" | "markdown";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The threads, streamed */
            200: {
                headers: {
                    /** @description A download: `attachment` with a file name */
                    "Content-Disposition": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/x-ndjson": components["schemas"]["Thread"];
                    "text/markdown": components["schemas"]["ExportMarkdown"];
                };
            };
            /** @description Invalid input (path, query or body); nothing was written */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid access token */
            401: {
                headers: {
                    /** @description Always `Bearer`: refresh the access token and retry once */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description API Gateway’s throttling */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error (logged) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The function failed (API Gateway’s answer) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A database is unavailable; retry after `Retry-After` */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No answer in time (API Gateway’s integration timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
