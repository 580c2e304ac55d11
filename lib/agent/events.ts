/**
 * What a turn reports while it runs (lib/agent/turn.ts), and the two ways it reaches the client: display text
 * (the default body: the reply's `format=text` content, built incrementally) or NDJSON events (the contract's
 * `Accept: application/x-ndjson` stream).
 */
import type { Block, Citation, Message } from '#lib/blocks/types.js';
import { messageView } from '#lib/threads/views.js';
import { ReplyTextRenderer } from './display.js';

export type TurnEvent =
  /** A model round began: one new assistant message. */
  | { type: 'message_start' }
  /** A text delta, as the model produced it. */
  | { type: 'text'; text: string }
  /** A text block ended; its citations (empty when none). */
  | { type: 'text_block_end'; citations: Citation[] }
  /** A complete tool call of the current message. */
  | { type: 'tool_use'; block: Block }
  /** The current assistant message ended (complete or cut short). */
  | { type: 'message_end' }
  | { type: 'tool_result'; block: Block }
  /** A message was stored (user, assistant, tool results), in storage order. */
  | { type: 'stored'; message: Message }
  /** The turn is over. `detail` (a short, client-safe reason) is set when it ended early. */
  | { type: 'end'; interrupted: boolean; detail?: string };

export type ReplyFormat = 'text' | 'ndjson';

export interface EventEncoder {
  encode(event: TurnEvent): string;
}

/** The display text: text deltas, citation markers, separators between messages, appendix and notice. */
function textEncoder(): EventEncoder {
  const r = new ReplyTextRenderer();
  return {
    encode(event) {
      switch (event.type) {
        case 'message_start':
          return r.startMessage();
        case 'text':
          return r.text(event.text);
        case 'text_block_end':
          return r.textBlockEnd(event.citations);
        case 'message_end':
          return r.endMessage();
        case 'end':
          return r.finish(event.interrupted);
        default:
          return '';
      }
    },
  };
}

const line = (value: unknown): string => `${JSON.stringify(value)}\n`;

/** One JSON object per line: text, tool_use, tool_result, message (every stored message), error, done. */
function ndjsonEncoder(): EventEncoder {
  return {
    encode(event) {
      switch (event.type) {
        case 'text':
          return event.text === '' ? '' : line({ type: 'text', text: event.text });
        case 'tool_use':
          return line({ ...event.block, type: 'tool_use' });
        case 'tool_result':
          return line({ ...event.block, type: 'tool_result' });
        case 'stored':
          return line({ type: 'message', message: messageView(event.message) });
        case 'end':
          return (event.detail ? line({ type: 'error', detail: event.detail }) : '') + line({ type: 'done' });
        default:
          return '';
      }
    },
  };
}

export const encoderFor = (format: ReplyFormat): EventEncoder => (format === 'ndjson' ? ndjsonEncoder() : textEncoder());

/** The stream format asked for: NDJSON events when `application/x-ndjson` is acceptable, else display text. */
export function replyFormat(accept: string | undefined): ReplyFormat {
  for (const part of (accept ?? '').split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    if (type?.trim() !== 'application/x-ndjson') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return 'ndjson';
  }
  return 'text';
}
