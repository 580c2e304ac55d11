/** The pairing pass: converted row pieces -> messages in which every tool_use is answered in the very next message.
 *
 * Sequence rules (the API's structural rules, applied after the per-row conversion):
 *   - Every tool_use is answered by exactly one tool_result in the very next message, tool_results first in that
 *     message and in tool_use order. Missing results are synthesised (`missingToolResult` of
 *     lib/blocks/api-rules.ts: an is_error tool_result saying no result was recorded); no tool turn is dropped
 *     (the migration of the reference dropped them all).
 *   - Consecutive tool-result rows answering one assistant message are merged into ONE user message.
 *   - A user message that follows an assistant message whose tool_uses are still open (the tool output was never
 *     logged, or a question follows the tool results) is merged into the tool-result message: results first,
 *     then the question's blocks. The merged message keeps the id of its first row.
 *   - A tool-output row whose call is not in the preceding assistant message (the OpenAI logger of 2025-02 wrote
 *     only the `tool` row, with the call in `internal_message.tool_calls`; the oldest `function` rows have no ids
 *     at all) gets its tool_use re-created: appended to the preceding assistant message when there is one that is
 *     still open, otherwise in a new assistant message with id `<row id>-tool_use`. A tool-output row without an
 *     id first answers the first unanswered tool_use of the preceding assistant message (same name preferred).
 *   - Consecutive assistant rows where the first has open tool_uses: a row holding only tool_use blocks is a
 *     parallel call of the same round and is merged into the first; any other row closes the first (missing
 *     results synthesised in a message with id `<assistant id>-tool_result`) and starts a new message.
 *   - A Claude-era tool_result with no matching tool_use (and no call data to re-create one) is an orphan: its
 *     text and documents are kept as ordinary user content (text blocks, top-level documents) instead of an
 *     invalid tool_result.
 *   - Duplicate results for one tool_use: the first answers it, later ones are treated as orphans.
 *   - Other consecutive same-role messages (a user asking twice with no answer logged, two answers in a row) are
 *     kept as they are, each with its own id and feedback: the API accepts them (it combines consecutive turns),
 *     and merging them would change what the user sees and where feedback belongs.
 *   - tool_use ids are unique in the thread (the API rejects duplicates): a repeated id gets a `_2`, `_3`...
 *     suffix, and the results that follow are paired with the renamed copy.
 *   - A message left with no blocks is dropped.
 *   - A history that starts with an assistant message (its question row is missing) gets a user message with id
 *     `<assistant id>-context` and the text MISSING_QUESTION_TEXT before it: the API requires a user message first,
 *     and dropping the answer would lose what the user saw.
 *   - Trailing whitespace is cut from assistant text blocks (the API rejects it at the end of the final message).
 *   - A thread ending with an open tool_use gets the synthesised result message, so a new user turn can follow.
 */
import { missingToolResult } from '#lib/blocks/api-rules.js';
import type { Block, Message, Role } from '#lib/blocks/types.js';
import { clone, orphanToUserBlocks } from './blocks.js';
import type { Meta, ResultEntry } from './rows.js';

/** Text of the user message put before a history that starts with an assistant message (the API needs a user first). */
export const MISSING_QUESTION_TEXT = '(The message that started this conversation was not recorded.)';

function newMessage(role: Role, meta: Meta, content: Block[]): Message {
  const m: Message = { id: meta.id, role, content, created_at: new Date(meta.created_at.getTime()) };
  if (meta.user_id !== undefined) m.user_id = meta.user_id;
  if (meta.feedback !== undefined) m.feedback = meta.feedback;
  return m;
}

function derivedMeta(from: { id: string; created_at: Date; user_id?: string }, suffix: string): Meta {
  const meta: Meta = { id: `${from.id}-${suffix}`, created_at: from.created_at };
  if (from.user_id !== undefined) meta.user_id = from.user_id;
  return meta;
}

const toolUses = (m: Message): Block[] => m.content.filter((b) => b.type === 'tool_use');
const leadingResults = (m: Message): number => {
  let i = 0;
  while (i < m.content.length && m.content[i]?.type === 'tool_result') i++;
  return i;
};

function carryFeedback(into: Message, meta: Meta): void {
  if (into.feedback === undefined && meta.feedback !== undefined) into.feedback = meta.feedback;
}

interface Open {
  /** The assistant message whose tool_uses await their results. */
  assistant: Message;
  /** Its tool-result message, once started (always the last message of the output while open). */
  results: Message | null;
  /** Renamed duplicate tool_use ids: original id -> the ids given to its later copies. */
  aliases: Map<string, string[]>;
}

export class Builder {
  readonly out: Message[] = [];
  private open: Open | null = null;
  private readonly seenToolUseIds = new Set<string>();

  /** Gives each tool_use an id unique in the thread (the API rejects duplicates), recording renames. */
  private register(uses: Block[], aliases: Map<string, string[]>): void {
    for (const u of uses) {
      const id = u.id as string;
      let unique = id;
      for (let n = 2; this.seenToolUseIds.has(unique); n++) unique = `${id}_${n}`;
      this.seenToolUseIds.add(unique);
      if (unique !== id) {
        u.id = unique;
        aliases.set(id, [...(aliases.get(id) ?? []), unique]);
      }
    }
  }

  /** Fills the open assistant message's missing results (results first, in tool_use order) and closes it. */
  private close(): void {
    const open = this.open;
    if (!open) return;
    this.open = null;
    let results = open.results;
    if (!results) {
      results = newMessage('user', derivedMeta(open.assistant, 'tool_result'), []);
      this.out.push(results);
    }
    const count = leadingResults(results);
    const answered = new Map<string, Block>();
    for (const b of results.content.slice(0, count)) answered.set(b.tool_use_id as string, b);
    const ordered = toolUses(open.assistant).map((u) => answered.get(u.id as string) ?? missingToolResult(u.id as string));
    results.content.splice(0, count, ...ordered);
  }

  addAssistant(meta: Meta, blocks: Block[]): void {
    if (blocks.length === 0) return;
    const open = this.open;
    if (open && open.results === null && blocks.every((b) => b.type === 'tool_use')) {
      // A parallel call of the same round: one assistant turn.
      this.register(blocks, open.aliases);
      open.assistant.content.push(...blocks);
      carryFeedback(open.assistant, meta);
      return;
    }
    this.close();
    const m = newMessage('assistant', meta, blocks);
    this.out.push(m);
    const uses = toolUses(m);
    if (uses.length > 0) {
      this.open = { assistant: m, results: null, aliases: new Map() };
      this.register(uses, this.open.aliases);
    }
  }

  /** Re-creates a call: in the open assistant message, or in a new assistant message `<row id>-tool_use`. */
  private recreate(call: Block, meta: Meta): void {
    if (!this.open) {
      const m = newMessage('assistant', derivedMeta(meta, 'tool_use'), []);
      this.out.push(m);
      this.open = { assistant: m, results: null, aliases: new Map() };
    }
    this.register([call], this.open.aliases);
    this.open.assistant.content.push(call);
  }

  private answeredIds(): Set<string> {
    const res = this.open?.results;
    if (!res) return new Set();
    return new Set(res.content.slice(0, leadingResults(res)).map((b) => b.tool_use_id as string));
  }

  private resultsMessage(meta: Meta): Message {
    const open = this.open!;
    if (!open.results) {
      open.results = newMessage('user', meta, []);
      this.out.push(open.results);
    }
    carryFeedback(open.results, meta);
    return open.results;
  }

  addUser(meta: Meta, results: ResultEntry[], others: Block[]): void {
    const extra: Block[] = [];
    let answeredAny = false;
    for (const entry of results) {
      const r = entry.block;
      const answered = this.answeredIds();
      const uses = this.open ? toolUses(this.open.assistant) : [];
      const original = r.tool_use_id as string;
      const candidates = [original, ...(this.open?.aliases.get(original) ?? [])];
      let target: Block | undefined;
      let duplicate = false;
      for (const id of candidates) {
        const u = uses.find((x) => x.id === id);
        if (!u) continue;
        if (answered.has(id)) duplicate = true;
        else {
          target = u;
          break;
        }
      }
      if (!target && duplicate) {
        extra.push(...orphanToUserBlocks(r));
        continue;
      }
      if (!target && entry.bindAny) {
        const free = uses.filter((u) => !answered.has(u.id as string));
        target = free.find((u) => u.name === entry.name) ?? free[0];
      }
      if (!target && entry.call) {
        target = clone(entry.call);
        this.recreate(target, meta);
      }
      if (!target) {
        extra.push(...orphanToUserBlocks(r));
        continue;
      }
      r.tool_use_id = target.id;
      const msg = this.resultsMessage(meta);
      msg.content.splice(leadingResults(msg), 0, r);
      answeredAny = true;
    }

    const rest = [...extra, ...others];
    if (answeredAny) {
      // Siblings of the results (debris, orphans): after them, in the same message; more result rows may follow.
      this.open!.results!.content.push(...rest);
      return;
    }
    if (rest.length === 0) return;
    if (this.open) {
      // A question (or orphan content) while tool_uses are open: it joins the tool-result message, which closes.
      this.resultsMessage(meta).content.push(...rest);
      this.close();
      return;
    }
    this.out.push(newMessage('user', meta, rest));
  }

  finish(): Message[] {
    this.close();
    const out = this.out.filter((m) => m.content.length > 0);
    const first = out[0];
    if (first && first.role === 'assistant') {
      out.unshift(newMessage('user', derivedMeta(first, 'context'), [{ type: 'text', text: MISSING_QUESTION_TEXT }]));
    }
    return out;
  }
}
