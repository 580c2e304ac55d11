/** Identifiers: UUID v7 for threads and messages, 128-bit base64url share ids. */
import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID_RE.test(value);

/** Thread and message ids: UUID v7, so ids sort by creation time. */
export const newId = (): string => uuidv7();

/** Share ids: 128 random bits from the OS CSPRNG, base64url (22 characters). */
export const newShareId = (): string => randomBytes(16).toString('base64url');
