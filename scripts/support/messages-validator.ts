/**
 * Test-side validator of the Anthropic Messages API request rules.
 *
 * The real API answers 400 `invalid_request_error` for each of these; the fake model server
 * (`fake-anthropic.ts`) runs every request through `validateMessagesRequest` so integration tests fail
 * the way production would. Violations use the API's own path style (`messages.2.content.0: ...`).
 *
 * Scope: the rules our agent can realistically break (see docs reference §8): empty text, tool_use/tool_result
 * pairing, bare strings in tool_result.content, mixed citations.enabled, document titles > 500 chars,
 * more than 4 cache_control breakpoints, extra keys on messages (stored messages carry id/tool_name/...).
 * Beta/server-tool blocks are accepted by type only, without checking their inner shape.
 */
import { isObj, type Obj } from '#lib/json.js';

/** Blocks the API accepts in a user turn. */
const USER_BLOCK_TYPES = new Set(['text', 'image', 'document', 'search_result', 'tool_result', 'container_upload']);

/** Blocks the API accepts in an assistant turn (its own output types, echoed back). */
const ASSISTANT_BLOCK_TYPES = new Set([
  'text',
  'thinking',
  'redacted_thinking',
  'tool_use',
  'server_tool_use',
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
  'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result',
  'tool_search_tool_result',
  'mcp_tool_use',
  'mcp_tool_result',
  'container_upload',
]);

/** Blocks allowed inside tool_result.content (never bare strings, never a nested tool_result). */
const TOOL_RESULT_CONTENT_TYPES = new Set(['text', 'image', 'document', 'search_result', 'tool_reference']);

const IMAGE_MEDIA_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** The API's pattern for tool_use ids and custom tool names. */
const TOOL_USE_ID_RE = /^[a-zA-Z0-9_-]+$/;
const TOOL_NAME_RE = /^[a-zA-Z0-9_-]{1,64}$/;

const MAX_CACHE_CONTROL_BLOCKS = 4;
const MAX_DOCUMENT_TITLE_LENGTH = 500;

/** State gathered while walking a request, for the cross-block rules. */
interface Walk {
  violations: string[];
  /** Paths of blocks carrying a (non-null) cache_control. */
  cacheControl: string[];
  /** `citations.enabled` of every document seen (absent counts as false, as in the API). */
  citationsEnabled: boolean[];
}

function isNonBlankString(v: unknown): v is string {
  return typeof v === 'string' && v.trim().length > 0;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Records a cache_control marker and checks its shape (`{type:'ephemeral', ttl?}`). */
function checkCacheControl(block: Obj, path: string, w: Walk): void {
  const cc = block.cache_control;
  if (cc === undefined || cc === null) return;
  w.cacheControl.push(path);
  if (!isObj(cc) || cc.type !== 'ephemeral') {
    w.violations.push(`${path}.cache_control: must be {"type": "ephemeral"}`);
  } else if (cc.ttl !== undefined && cc.ttl !== '5m' && cc.ttl !== '1h') {
    w.violations.push(`${path}.cache_control.ttl: must be "5m" or "1h"`);
  }
}

function checkTextBlock(block: Obj, path: string, w: Walk): void {
  if (typeof block.text !== 'string') {
    w.violations.push(`${path}.text: Field required (string)`);
  } else if (block.text.length === 0) {
    w.violations.push(`${path}: text content blocks must be non-empty`);
  } else if (block.text.trim().length === 0) {
    w.violations.push(`${path}: text content blocks must contain non-whitespace text`);
  }
  // null is accepted: the SDK types it `Array<...> | null` and echoes `citations: null` from responses.
  if (block.citations !== undefined && block.citations !== null) {
    if (!Array.isArray(block.citations)) {
      w.violations.push(`${path}.citations: must be an array`);
    } else {
      block.citations.forEach((c, i) => {
        if (!isObj(c) || typeof c.type !== 'string') {
          w.violations.push(`${path}.citations.${i}: must be a citation object with a type`);
        }
      });
    }
  }
  checkCacheControl(block, path, w);
}

function checkImageBlock(block: Obj, path: string, w: Walk): void {
  const src = block.source;
  if (!isObj(src)) {
    w.violations.push(`${path}.source: Field required`);
  } else if (src.type === 'base64') {
    if (typeof src.media_type !== 'string' || !IMAGE_MEDIA_TYPES.has(src.media_type)) {
      w.violations.push(`${path}.source.media_type: must be one of ${[...IMAGE_MEDIA_TYPES].join(', ')}`);
    }
    if (typeof src.data !== 'string' || src.data.length === 0) {
      w.violations.push(`${path}.source.data: must be a non-empty base64 string`);
    }
  } else if (src.type === 'url') {
    if (typeof src.url !== 'string') w.violations.push(`${path}.source.url: Field required (string)`);
  } else if (src.type === 'file') {
    if (typeof src.file_id !== 'string') w.violations.push(`${path}.source.file_id: Field required (string)`);
  } else {
    w.violations.push(`${path}.source.type: must be "base64", "url" or "file"`);
  }
  checkCacheControl(block, path, w);
}

function checkDocumentBlock(block: Obj, path: string, w: Walk): void {
  const src = block.source;
  if (!isObj(src)) {
    w.violations.push(`${path}.source: Field required`);
  } else if (src.type === 'text') {
    if (src.media_type !== 'text/plain') w.violations.push(`${path}.source.media_type: must be "text/plain"`);
    if (typeof src.data !== 'string') w.violations.push(`${path}.source.data: Field required (string)`);
  } else if (src.type === 'base64') {
    if (src.media_type !== 'application/pdf') {
      w.violations.push(`${path}.source.media_type: must be "application/pdf"`);
    }
    if (typeof src.data !== 'string' || src.data.length === 0) {
      w.violations.push(`${path}.source.data: must be a non-empty base64 string`);
    }
  } else if (src.type === 'url') {
    if (typeof src.url !== 'string') w.violations.push(`${path}.source.url: Field required (string)`);
  } else if (src.type === 'file') {
    if (typeof src.file_id !== 'string') w.violations.push(`${path}.source.file_id: Field required (string)`);
  } else if (src.type === 'content') {
    if (typeof src.content === 'string') {
      if (src.content.length === 0) w.violations.push(`${path}.source.content: must be non-empty`);
    } else if (Array.isArray(src.content)) {
      src.content.forEach((b, i) => {
        const p = `${path}.source.content.${i}`;
        if (isObj(b) && b.type === 'text') checkTextBlock(b, p, w);
        else if (isObj(b) && b.type === 'image') checkImageBlock(b, p, w);
        else w.violations.push(`${p}: document content source blocks must be text or image`);
      });
    } else {
      w.violations.push(`${path}.source.content: must be a string or an array of blocks`);
    }
  } else {
    w.violations.push(`${path}.source.type: must be "text", "base64", "url", "content" or "file"`);
  }
  if (block.title !== undefined && block.title !== null) {
    if (typeof block.title !== 'string') {
      w.violations.push(`${path}.title: must be a string`);
    } else if (block.title.length > MAX_DOCUMENT_TITLE_LENGTH) {
      w.violations.push(`${path}.title: String should have at most ${MAX_DOCUMENT_TITLE_LENGTH} characters (got ${block.title.length})`);
    }
  }
  if (block.context !== undefined && block.context !== null && typeof block.context !== 'string') {
    w.violations.push(`${path}.context: must be a string`);
  }
  let enabled = false;
  if (block.citations !== undefined && block.citations !== null) {
    if (!isObj(block.citations) || typeof block.citations.enabled !== 'boolean') {
      w.violations.push(`${path}.citations: must be {"enabled": boolean}`);
    } else {
      enabled = block.citations.enabled;
    }
  }
  w.citationsEnabled.push(enabled);
  checkCacheControl(block, path, w);
}

function checkSearchResultBlock(block: Obj, path: string, w: Walk): void {
  if (typeof block.source !== 'string') w.violations.push(`${path}.source: Field required (string)`);
  if (typeof block.title !== 'string') w.violations.push(`${path}.title: Field required (string)`);
  if (!Array.isArray(block.content)) {
    w.violations.push(`${path}.content: must be an array of text blocks`);
  } else {
    block.content.forEach((b, i) => {
      const p = `${path}.content.${i}`;
      if (isObj(b) && b.type === 'text') checkTextBlock(b, p, w);
      else w.violations.push(`${p}: search_result content must be text blocks`);
    });
  }
  checkCacheControl(block, path, w);
}

function checkToolUseBlock(block: Obj, path: string, w: Walk): void {
  if (typeof block.id !== 'string') {
    w.violations.push(`${path}.id: Field required (string)`);
  } else if (!TOOL_USE_ID_RE.test(block.id)) {
    w.violations.push(`${path}.id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
  }
  if (!isNonBlankString(block.name)) w.violations.push(`${path}.name: Field required (non-empty string)`);
  if (!isObj(block.input)) {
    w.violations.push(`${path}.input: Input should be a valid dictionary (got ${describe(block.input)})`);
  }
  checkCacheControl(block, path, w);
}

function checkToolResultBlock(block: Obj, path: string, w: Walk): void {
  if (typeof block.tool_use_id !== 'string') {
    w.violations.push(`${path}.tool_use_id: Field required (string)`);
  }
  if (block.is_error !== undefined && typeof block.is_error !== 'boolean') {
    w.violations.push(`${path}.is_error: must be a boolean`);
  }
  const content = block.content;
  if (content !== undefined && typeof content !== 'string') {
    if (!Array.isArray(content)) {
      w.violations.push(`${path}.content: must be a string or an array of blocks (got ${describe(content)})`);
    } else {
      content.forEach((b, i) => {
        const p = `${path}.content.${i}`;
        if (!isObj(b)) {
          w.violations.push(`${p}: tool_result content must be blocks, not a bare ${describe(b)}`);
          return;
        }
        if (typeof b.type !== 'string' || !TOOL_RESULT_CONTENT_TYPES.has(b.type)) {
          w.violations.push(
            `${p}: block type ${JSON.stringify(b.type)} is not allowed in tool_result content ` +
              `(allowed: ${[...TOOL_RESULT_CONTENT_TYPES].join(', ')})`,
          );
          return;
        }
        checkBlockShape(b, p, w);
      });
    }
  }
  checkCacheControl(block, path, w);
}

/** Shape checks per known block type; callers have already checked the type is allowed in context. */
function checkBlockShape(block: Obj, path: string, w: Walk): void {
  switch (block.type) {
    case 'text':
      return checkTextBlock(block, path, w);
    case 'image':
      return checkImageBlock(block, path, w);
    case 'document':
      return checkDocumentBlock(block, path, w);
    case 'search_result':
      return checkSearchResultBlock(block, path, w);
    case 'tool_use':
      return checkToolUseBlock(block, path, w);
    case 'tool_result':
      return checkToolResultBlock(block, path, w);
    case 'thinking':
      if (typeof block.thinking !== 'string') w.violations.push(`${path}.thinking: Field required (string)`);
      if (typeof block.signature !== 'string') w.violations.push(`${path}.signature: Field required (string)`);
      return;
    case 'redacted_thinking':
      if (typeof block.data !== 'string') w.violations.push(`${path}.data: Field required (string)`);
      return;
    case 'tool_reference':
      if (typeof block.tool_name !== 'string') w.violations.push(`${path}.tool_name: Field required (string)`);
      return checkCacheControl(block, path, w);
    default:
      // Server-tool and other beta blocks: only the cache_control count matters to us.
      return checkCacheControl(block, path, w);
  }
}

/** Walks the messages array; cross-message rules (tool pairing) are checked here too. */
function walkMessages(messages: unknown, w: Walk): void {
  if (!Array.isArray(messages)) {
    w.violations.push(`messages: Input should be a valid list (got ${describe(messages)})`);
    return;
  }
  if (messages.length === 0) {
    w.violations.push('messages: at least one message is required');
    return;
  }

  const seenToolUseIds = new Set<string>();
  // tool_use ids of the previous message (only if it was an assistant message), still awaiting a result.
  let pendingToolUses = new Map<string, string>(); // id -> path of the tool_use block

  messages.forEach((msg, mi) => {
    const mpath = `messages.${mi}`;
    const isLast = mi === messages.length - 1;
    const unanswered = pendingToolUses;
    pendingToolUses = new Map();

    if (!isObj(msg)) {
      w.violations.push(`${mpath}: must be an object {role, content} (got ${describe(msg)})`);
      for (const [id, p] of unanswered) {
        w.violations.push(`${p}: tool_use id ${id} has no tool_result in the next message (${mpath})`);
      }
      return;
    }
    for (const key of Object.keys(msg)) {
      if (key !== 'role' && key !== 'content') w.violations.push(`${mpath}.${key}: Extra inputs are not permitted`);
    }
    const role = msg.role;
    if (role !== 'user' && role !== 'assistant') {
      w.violations.push(`${mpath}.role: must be "user" or "assistant" (got ${JSON.stringify(role)})`);
    }
    if (mi === 0 && role !== 'user') {
      w.violations.push(`${mpath}: first message must use the "user" role`);
    }

    // Every tool_use of the previous assistant turn must be answered right here, in a user turn.
    const answeredHere = new Set<string>();
    const blocks: unknown[] = Array.isArray(msg.content) ? msg.content : [];
    if (role === 'user') {
      for (const b of blocks) {
        if (isObj(b) && b.type === 'tool_result' && typeof b.tool_use_id === 'string') answeredHere.add(b.tool_use_id);
      }
    }
    for (const [id, p] of unanswered) {
      if (role !== 'user') {
        w.violations.push(
          `${p}: tool_use id ${id} must be followed by a user message with its tool_result, but ${mpath} is ${JSON.stringify(role)}`,
        );
      } else if (!answeredHere.has(id)) {
        w.violations.push(`${p}: tool_use id ${id} has no tool_result in the next message (${mpath})`);
      }
    }

    const content = msg.content;
    // The API allows an empty (prefill) final assistant turn; everything else needs content.
    const emptyAllowed = isLast && role === 'assistant';
    if (typeof content === 'string') {
      if (content.length === 0) {
        if (!emptyAllowed)
          w.violations.push(`${mpath}: all messages must have non-empty content except for the optional final assistant message`);
      } else if (content.trim().length === 0) {
        if (!emptyAllowed) w.violations.push(`${mpath}.content: text content blocks must contain non-whitespace text`);
      }
      if (isLast && role === 'assistant' && content.length > 0 && /\s$/.test(content)) {
        w.violations.push(`${mpath}: final assistant content cannot end with trailing whitespace`);
      }
      return;
    }
    if (!Array.isArray(content)) {
      w.violations.push(`${mpath}.content: must be a string or an array of content blocks (got ${describe(content)})`);
      return;
    }
    if (content.length === 0 && !emptyAllowed) {
      w.violations.push(`${mpath}: all messages must have non-empty content except for the optional final assistant message`);
    }

    const allowed = role === 'assistant' ? ASSISTANT_BLOCK_TYPES : USER_BLOCK_TYPES;
    const resultIdsHere = new Set<string>();
    let sawNonToolResult = false;
    content.forEach((block, bi) => {
      const bpath = `${mpath}.content.${bi}`;
      if (!isObj(block)) {
        w.violations.push(`${bpath}: content blocks must be objects (got ${describe(block)})`);
        return;
      }
      const type = block.type;
      if (typeof type !== 'string') {
        w.violations.push(`${bpath}.type: Field required`);
        return;
      }
      if (!allowed.has(type)) {
        const known = USER_BLOCK_TYPES.has(type) || ASSISTANT_BLOCK_TYPES.has(type);
        w.violations.push(
          known
            ? `${bpath}: ${type} blocks are not allowed in ${String(role)} messages`
            : `${bpath}: Input tag '${type}' found using 'type' does not match any of the expected tags`,
        );
        return;
      }
      checkBlockShape(block, bpath, w);

      if (type === 'tool_use' && typeof block.id === 'string') {
        if (seenToolUseIds.has(block.id)) {
          w.violations.push(`${bpath}: tool_use ids must be unique (duplicate ${block.id})`);
        }
        seenToolUseIds.add(block.id);
        pendingToolUses.set(block.id, bpath);
      }
      if (type === 'tool_result') {
        // The API wants tool_result blocks first in the user turn; text etc. may only follow them.
        if (sawNonToolResult) {
          w.violations.push(`${bpath}: tool_result blocks must come before any other content in the message`);
        }
        if (typeof block.tool_use_id === 'string') {
          if (!unanswered.has(block.tool_use_id)) {
            w.violations.push(
              `${bpath}: unexpected tool_use_id ${block.tool_use_id} in tool_result; each tool_result must have a ` +
                `corresponding tool_use in the previous assistant message`,
            );
          }
          if (resultIdsHere.has(block.tool_use_id)) {
            w.violations.push(`${bpath}: multiple tool_result blocks for tool_use id ${block.tool_use_id}`);
          }
          resultIdsHere.add(block.tool_use_id);
        }
      } else {
        sawNonToolResult = true;
      }
    });

    if (isLast && role === 'assistant') {
      const lastBlock = content[content.length - 1];
      if (isObj(lastBlock) && lastBlock.type === 'text' && typeof lastBlock.text === 'string' && /\s$/.test(lastBlock.text)) {
        w.violations.push(`${mpath}: final assistant content cannot end with trailing whitespace`);
      }
    }
  });
  // A history ending on an assistant tool_use is still unanswered: the API rejects it like any other.
  for (const [id, p] of pendingToolUses) {
    w.violations.push(`${p}: tool_use id ${id} has no tool_result (the history ends after it)`);
  }
}

function checkCrossBlockRules(w: Walk): void {
  if (w.cacheControl.length > MAX_CACHE_CONTROL_BLOCKS) {
    w.violations.push(
      `A maximum of ${MAX_CACHE_CONTROL_BLOCKS} blocks with cache_control may be provided. Found ${w.cacheControl.length} ` +
        `(${w.cacheControl.join(', ')})`,
    );
  }
  if (w.citationsEnabled.includes(true) && w.citationsEnabled.includes(false)) {
    w.violations.push('citations must be either enabled or disabled on all documents in the request (found a mix)');
  }
}

function newWalk(): Walk {
  return { violations: [], cacheControl: [], citationsEnabled: [] };
}

/**
 * Violations of the API's rules for the `messages` array alone (empty = valid).
 * The cache_control limit counts only message blocks here; `validateMessagesRequest` adds system and tools.
 */
export function validateMessageHistory(messages: unknown): string[] {
  const w = newWalk();
  walkMessages(messages, w);
  checkCrossBlockRules(w);
  return w.violations;
}

/** Whether the history holds tool_use/tool_result blocks (for the "must define tools" rule). */
function historyUsesTools(messages: unknown): boolean {
  if (!Array.isArray(messages)) return false;
  return messages.some(
    (m) => isObj(m) && Array.isArray(m.content) && m.content.some((b) => isObj(b) && (b.type === 'tool_use' || b.type === 'tool_result')),
  );
}

/** Violations of the API's rules for a whole `POST /v1/messages` body (empty = valid). */
export function validateMessagesRequest(body: unknown): string[] {
  const w = newWalk();
  if (!isObj(body)) return [`request body must be a JSON object (got ${describe(body)})`];

  if (!isNonBlankString(body.model)) w.violations.push('model: Field required (non-empty string)');
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
    w.violations.push(`max_tokens: must be a positive integer (got ${JSON.stringify(body.max_tokens)})`);
  }

  // system: a string, or an array of text blocks (which may carry cache_control).
  if (body.system !== undefined) {
    if (Array.isArray(body.system)) {
      body.system.forEach((b, i) => {
        const p = `system.${i}`;
        if (isObj(b) && b.type === 'text') checkTextBlock(b, p, w);
        else w.violations.push(`${p}: system blocks must be text blocks`);
      });
    } else if (typeof body.system !== 'string') {
      w.violations.push(`system: must be a string or an array of text blocks (got ${describe(body.system)})`);
    }
  }

  walkMessages(body.messages, w);

  const checkRange = (key: string, min: number, max: number) => {
    const v = body[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max) {
      w.violations.push(`${key}: must be a number between ${min} and ${max} (got ${JSON.stringify(v)})`);
    }
  };
  checkRange('temperature', 0, 1);
  checkRange('top_p', 0, 1);
  if (body.top_k !== undefined && (typeof body.top_k !== 'number' || !Number.isInteger(body.top_k) || body.top_k < 0)) {
    w.violations.push('top_k: must be a non-negative integer');
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') {
    w.violations.push(`stream: must be a boolean (got ${describe(body.stream)})`);
  }
  if (body.stop_sequences !== undefined) {
    if (!Array.isArray(body.stop_sequences) || !body.stop_sequences.every((s) => typeof s === 'string')) {
      w.violations.push('stop_sequences: must be an array of strings');
    }
  }

  // tools: custom tools need a valid name and an object input_schema; server tools carry a versioned `type`.
  const toolNames = new Set<string>();
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) {
      w.violations.push(`tools: must be an array (got ${describe(body.tools)})`);
    } else {
      body.tools.forEach((t, i) => {
        const p = `tools.${i}`;
        if (!isObj(t)) {
          w.violations.push(`${p}: must be an object`);
          return;
        }
        const isCustom = t.type === undefined || t.type === null || t.type === 'custom';
        if (typeof t.name !== 'string' || !TOOL_NAME_RE.test(t.name)) {
          w.violations.push(`${p}.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$' (got ${JSON.stringify(t.name)})`);
        } else {
          if (toolNames.has(t.name)) w.violations.push(`${p}.name: tool names must be unique (duplicate ${t.name})`);
          toolNames.add(t.name);
        }
        if (isCustom) {
          if (t.description !== undefined && typeof t.description !== 'string') {
            w.violations.push(`${p}.description: must be a string`);
          }
          if (!isObj(t.input_schema)) {
            w.violations.push(`${p}.input_schema: Field required (object)`);
          } else if (t.input_schema.type !== 'object') {
            w.violations.push(`${p}.input_schema.type: Input should be 'object'`);
          }
        }
        checkCacheControl(t, p, w);
      });
    }
  }
  if (historyUsesTools(body.messages) && toolNames.size === 0) {
    w.violations.push('Requests which include `tool_use` or `tool_result` blocks must define tools.');
  }

  if (body.tool_choice !== undefined) {
    const tc = body.tool_choice;
    if (!isObj(tc) || !['auto', 'any', 'tool', 'none'].includes(String(tc.type))) {
      w.violations.push('tool_choice.type: must be "auto", "any", "tool" or "none"');
    } else if (tc.type === 'tool' && (typeof tc.name !== 'string' || !toolNames.has(tc.name))) {
      w.violations.push(`tool_choice.name: must name one of the provided tools (got ${JSON.stringify(tc.name)})`);
    }
  }

  checkCrossBlockRules(w);
  return w.violations;
}
