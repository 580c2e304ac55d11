/** The contract check of the tests (#support/contract.ts) refuses what docs/openapi.json does not describe. */
import { describe, expect, it } from 'vitest';
import { checkContract } from '#support/contract.js';

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };
const summary = {
  thread_id: '01a22c9a-ed3c-742c-bf60-9c9d6da1064a',
  thread_name: null,
  created_at: '2026-11-23T17:04:05.123Z',
  updated_at: '2026-11-23T17:04:05.123Z',
  initial_source: 'web',
  storage: 'mongodb',
};
const list = (body: unknown, headers: Record<string, string> = {}) => ({
  status: 200,
  headers: { ...JSON_TYPE, ...headers },
  body: JSON.stringify(body),
});

describe('checkContract', () => {
  it('accepts a documented answer', () => {
    expect(() => checkContract('GET /threads', 'GET', list([summary], { 'x-next-cursor': 'abc' }))).not.toThrow();
    expect(() => checkContract('DELETE /threads/{thread_id}', 'DELETE', { status: 204, headers: {}, body: '' })).not.toThrow();
  });

  it('refuses an undocumented status, field, content type or body', () => {
    expect(() => checkContract('GET /threads', 'GET', { ...list({ detail: 'x' }), status: 418 })).toThrow(/does not describe this status/);
    expect(() => checkContract('GET /threads', 'GET', list([{ ...summary, extra: 1 }]))).toThrow(/additional properties/);
    expect(() => checkContract('GET /threads', 'GET', { ...list([]), headers: { 'content-type': 'text/html' } })).toThrow(/content type/);
    expect(() => checkContract('DELETE /threads/{thread_id}', 'DELETE', { status: 204, headers: {}, body: 'x' })).toThrow(/describes none/);
    expect(() => checkContract('GET /nowhere', 'GET', list([]))).toThrow(/not in docs\/openapi.json/);
  });

  it('refuses our headers where the document does not list them, and a missing required one', () => {
    const created = { ...summary, metadata: {}, messages: [] };
    const answer = { status: 201, headers: { ...JSON_TYPE, 'x-next-cursor': 'abc' }, body: JSON.stringify(created) };
    expect(() => checkContract('POST /threads', 'POST', answer)).toThrow(/X-Next-Cursor is sent but not documented/);
    const unauthorized = { status: 401, headers: JSON_TYPE, body: JSON.stringify({ detail: 'Could not validate credentials' }) };
    expect(() => checkContract('GET /threads', 'GET', unauthorized)).toThrow(/WWW-Authenticate is missing/);
  });

  it('checks a streamed NDJSON reply line by line, ignoring a cut last line', () => {
    const headers = { 'content-type': 'application/x-ndjson; charset=utf-8', 'x-message-id': 'm1', 'x-reply-message-id': 'm2' };
    const ok = `${JSON.stringify({ type: 'text', text: 'Hi' })}\n${JSON.stringify({ type: 'done' })}\n{"type":"te`;
    expect(() => checkContract('POST /threads/{thread_id}', 'POST', { status: 200, headers, body: ok })).not.toThrow();
    const bad = `${JSON.stringify({ type: 'text', text: 1 })}\n`;
    expect(() => checkContract('POST /threads/{thread_id}', 'POST', { status: 200, headers, body: bad })).toThrow(/does not match/);
  });

  it('leaves CORS preflights alone', () => {
    expect(() => checkContract('GET /threads', 'OPTIONS', { status: 204, headers: {}, body: '' })).not.toThrow();
  });
});
