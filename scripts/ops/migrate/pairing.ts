/** The Messages API's tool pairing rule, checked on a stored history by the migration's verification. */
import type { Block, Message } from '#lib/blocks/types.js';

/**
 * The Messages API's pairing rule on a stored history: every tool_use is answered by exactly one tool_result at the
 * start of the very next (user) message, and every tool_result answers a tool_use of the message just before;
 * tool_use ids are unique; the history starts with a user message. Returns the problems found ([] when valid).
 */
export function checkToolPairing(messages: Pick<Message, 'id' | 'role' | 'content'>[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  if (messages.length > 0 && messages[0]!.role !== 'user')
    problems.push(`message ${messages[0]!.id}: the history does not start with a user message`);
  messages.forEach((m, i) => {
    const blocks: Block[] = Array.isArray(m.content) ? m.content : [];
    const uses = m.role === 'assistant' ? blocks.filter((b) => b.type === 'tool_use') : [];
    for (const u of uses) {
      const id = String(u.id);
      if (seen.has(id)) problems.push(`message ${m.id}: tool_use id ${id} is used twice`);
      seen.add(id);
    }
    if (m.role === 'assistant' && blocks.some((b) => b.type === 'tool_result'))
      problems.push(`message ${m.id}: tool_result in an assistant message`);
    if (m.role === 'user' && blocks.some((b) => b.type === 'tool_use')) problems.push(`message ${m.id}: tool_use in a user message`);
    // Results in this message must answer the previous message's calls, first in the message, each once.
    const prev = messages[i - 1];
    const prevUses = prev?.role === 'assistant' ? (prev.content ?? []).filter((b) => b.type === 'tool_use').map((b) => String(b.id)) : [];
    if (m.role === 'user') {
      let lead = 0;
      while (lead < blocks.length && blocks[lead]!.type === 'tool_result') lead++;
      if (blocks.slice(lead).some((b) => b.type === 'tool_result')) problems.push(`message ${m.id}: a tool_result follows other content`);
      const answered = blocks.filter((b) => b.type === 'tool_result').map((b) => String(b.tool_use_id));
      for (const id of answered) {
        if (!prevUses.includes(id)) problems.push(`message ${m.id}: tool_result ${id} answers no tool_use of the previous message`);
      }
      if (new Set(answered).size !== answered.length) problems.push(`message ${m.id}: a tool_use is answered twice`);
    }
    if (uses.length > 0) {
      const next = messages[i + 1];
      const answeredNext =
        next?.role === 'user'
          ? new Set((next.content ?? []).filter((b) => b.type === 'tool_result').map((b) => String(b.tool_use_id)))
          : new Set();
      for (const u of uses) {
        if (!answeredNext.has(String(u.id)))
          problems.push(`message ${m.id}: tool_use ${String(u.id)} has no tool_result in the next message`);
      }
    }
  });
  return problems;
}
