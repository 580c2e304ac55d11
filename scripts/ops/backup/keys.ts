/** Restore keys: a document's natural key (or `_id` when it lacks one), and finding a batch's documents by it. */
import { BSON, type Collection, type Document } from 'mongodb';
import { EXACT_READ } from './files.js';

const { EJSON } = BSON;

/** Documents read from a backup file are looked up, written and compared in batches of this many. */
export const DEFAULT_BATCH_SIZE = 500;

interface RestoreKey {
  /** The fields used: the collection's key, or `_id` for a document lacking one of them. */
  fields: string[];
  filter: Document;
  /** Identity for maps and sets; relaxed EJSON, so numbers compare across BSON types as MongoDB's equality does. */
  id: string;
  /** For reports: `thread_id 0190…`, `thread_id 0190…, seq 2`. */
  label: string;
}

const keyId = (fields: readonly string[], doc: Document) =>
  `${fields.join(',')}=${EJSON.stringify(
    fields.map((f) => doc[f]),
    { relaxed: true },
  )}`;

/** The restore key of a document: its natural key, or `_id` when the document lacks part of it. */
export function keyOf(doc: Document, key: readonly string[]): RestoreKey {
  const natural = key.every((f) => doc[f] !== undefined && doc[f] !== null);
  const fields = natural ? [...key] : ['_id'];
  const show = (v: unknown) => (typeof v === 'string' ? v : EJSON.stringify(v as Document, { relaxed: true }));
  return {
    fields,
    filter: Object.fromEntries(fields.map((f) => [f, doc[f]])),
    id: keyId(fields, doc),
    label: fields.map((f) => `${f} ${show(doc[f])}`).join(', '),
  };
}

/** The target's documents matching a batch by restore key (first match per key), by `RestoreKey.id`. */
export async function lookupByKey(
  col: Collection,
  key: readonly string[],
  docs: Document[],
  projectKeyOnly: boolean,
): Promise<Map<string, Document>> {
  const groups = new Map<string, { fields: string[]; filters: Document[] }>();
  for (const doc of docs) {
    const k = keyOf(doc, key);
    const group = groups.get(k.fields.join(',')) ?? { fields: k.fields, filters: [] };
    group.filters.push(k.filter);
    groups.set(k.fields.join(','), group);
  }
  const found = new Map<string, Document>();
  for (const { fields, filters } of groups.values()) {
    const query = fields.length === 1 ? { [fields[0]!]: { $in: filters.map((f) => f[fields[0]!]) } } : { $or: filters };
    const projection = projectKeyOnly ? Object.fromEntries([['_id', 1], ...fields.map((f) => [f, 1])]) : undefined;
    for await (const d of col.find(query, { projection, ...EXACT_READ })) {
      const id = keyId(fields, d);
      if (!found.has(id)) found.set(id, d);
    }
  }
  return found;
}
