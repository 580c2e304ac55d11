/** An Anthropic Messages API content block, stored as it is (unknown types are kept, not dropped). */
export interface Block {
  type: string;
  [key: string]: unknown;
}

export interface TextBlock extends Block {
  type: 'text';
  text: string;
  citations?: Citation[] | null;
}

export interface Citation {
  type: string;
  cited_text?: string;
  document_title?: string | null;
  document_index?: number;
  [key: string]: unknown;
}

export type Role = 'user' | 'assistant';

/** A message embedded in a thread document. */
export interface Message {
  id: string;
  role: Role;
  content: Block[];
  created_at: Date;
  user_id?: string;
  feedback?: Record<string, unknown>;
  model?: string;
  usage?: Record<string, unknown>;
  stop_reason?: string | null;
  interrupted?: boolean;
  [key: string]: unknown;
}

export const isTextBlock = (b: Block): b is TextBlock => b.type === 'text' && typeof b.text === 'string';
