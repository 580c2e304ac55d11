/**
 * The display text of a reply, produced incrementally while the model streams it.
 *
 * `renderReply` (lib/blocks/text.ts) renders a stored reply after the fact; this renders the same text as it is
 * being produced, from the same primitives, so the streamed body always equals the stored reply's `format=text`
 * content. What `renderReply` does, and how each part is produced here:
 *   - the text blocks of each assistant message, concatenated: text deltas are written as they arrive;
 *   - ` [n]` markers after each cited text block, numbered across the reply: written when the block stops;
 *   - messages whose text is blank are left out, and `TURN_SEPARATOR` goes between the messages that have text:
 *     a message's leading whitespace is held back until its first visible character, which is then preceded by
 *     the separator when an earlier message of the reply had text;
 *   - the `**Citations**:` appendix, then `INTERRUPTED_NOTICE` for an interrupted reply: written at the end.
 */
import { citationMarkers, citationsAppendix, INTERRUPTED_NOTICE, TURN_SEPARATOR } from '#lib/blocks/text.js';
import type { Citation } from '#lib/blocks/types.js';

export class ReplyTextRenderer {
  private readonly citations: Citation[] = [];
  /** Some earlier message of the reply had visible text. */
  private replyHasText = false;
  private inMessage = false;
  /** The current message already wrote visible text. */
  private messageHasText = false;
  /** Whitespace of the current message not written yet (written with its first visible character). */
  private held = '';

  /** A new assistant message of the reply begins. */
  startMessage(): string {
    const out = this.inMessage ? this.endMessage() : '';
    this.inMessage = true;
    this.messageHasText = false;
    this.held = '';
    return out;
  }

  /** A text delta of the current message; returns the bytes to write now. */
  text(delta: string): string {
    if (!this.inMessage) this.startMessage();
    if (this.messageHasText) return delta;
    const pending = this.held + delta;
    if (pending.trim() === '') {
      this.held = pending;
      return '';
    }
    this.held = '';
    this.messageHasText = true;
    return (this.replyHasText ? TURN_SEPARATOR : '') + pending;
  }

  /** A text block of the current message ended with these citations: its markers. */
  textBlockEnd(citations: readonly Citation[] | null | undefined): string {
    const cited = citations ?? [];
    if (cited.length === 0) return '';
    const out = this.text(citationMarkers(cited.length, this.citations.length + 1));
    this.citations.push(...cited);
    return out;
  }

  /** The current message ended (whitespace-only text is dropped, as renderReply drops blank messages). */
  endMessage(): string {
    if (this.inMessage && this.messageHasText) this.replyHasText = true;
    this.inMessage = false;
    this.messageHasText = false;
    this.held = '';
    return '';
  }

  /** The end of the reply: the citations appendix and, for an interrupted reply, the notice. */
  finish(interrupted: boolean): string {
    this.endMessage();
    return citationsAppendix(this.citations) + (interrupted ? INTERRUPTED_NOTICE : '');
  }

  /** Citations collected so far, numbered from 1 in this order. */
  get citationCount(): number {
    return this.citations.length;
  }
}
