/** The streamed body of a reply: a push-based Readable that tells the turn when the client went away. */
import { Readable } from 'node:stream';

/**
 * The streamed response body of a reply: a push-based Readable that middy pipes into the Lambda response stream.
 * Chunks are pushed as they are produced (no buffering on our side). When the consumer goes away (the response
 * stream errors or closes, so the pipeline destroys this stream before it ended), `onGone` is called once: the
 * turn stops generating and stores what it has.
 */
export class ReplyBody extends Readable {
  private finished = false;
  private goneCalled = false;
  /** A high surrogate at the end of a chunk, held until its pair arrives (never split a character). */
  private heldSurrogate = '';

  constructor(private readonly onGone: (err: Error | null) => void) {
    super();
  }

  override _read(): void {
    // push-based: data arrives through send()
  }

  /** Writes a chunk now (ignored once the body ended or the consumer went away). */
  send(chunk: string): void {
    if (this.finished || this.destroyed || chunk === '') return;
    let text = this.heldSurrogate + chunk;
    this.heldSurrogate = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.heldSurrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    if (text !== '') this.push(text, 'utf8');
  }

  /** Ends the body after everything sent so far. */
  finish(): void {
    if (this.finished || this.destroyed) return;
    if (this.heldSurrogate) this.push(this.heldSurrogate, 'utf8');
    this.heldSurrogate = '';
    this.finished = true;
    this.push(null);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Destroyed before the end was read: the client is gone (or the pipeline failed).
    if (!this.readableEnded && !this.goneCalled) {
      this.goneCalled = true;
      try {
        this.onGone(err);
      } catch {
        // the callback must never break the stream's teardown
      }
    }
    cb(err);
  }
}
