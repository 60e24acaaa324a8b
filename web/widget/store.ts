// What the widget remembers in the visitor's browser: who they are (one id for every chatbot on
// the site) and, per chatbot, the open conversation and its last messages, so a page change does
// not lose the thread. Storage can be missing or full (private mode): then the widget just forgets.

import type { Rating } from './api.ts';

export type StoredMessage = { role: 'visitor' | 'bot'; text: string; id?: string; rating?: Rating };
export type Thread = { conversationId: string | null; messages: StoredMessage[] };

const VISITOR = 'wirehub.visitor_id';
const KEEP = 50;

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage refused: the conversation still works for this page view.
  }
}

function randomId(): string {
  // getRandomValues works on plain-http pages too, unlike crypto.randomUUID.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

let memoryVisitor: string | null = null;

export function visitorId(): string {
  const known = read(VISITOR) ?? memoryVisitor;
  if (known) return known;
  const id = `v_${randomId()}`;
  memoryVisitor = id;
  write(VISITOR, id);
  return id;
}

export function threadStore(publicKey: string) {
  const key = `wirehub.chat.${publicKey}`;
  return {
    load(): Thread {
      try {
        const t = JSON.parse(read(key) ?? 'null') as Thread | null;
        if (t && Array.isArray(t.messages)) return { conversationId: typeof t.conversationId === 'string' ? t.conversationId : null, messages: t.messages };
      } catch {
        // A damaged entry is dropped below.
      }
      return { conversationId: null, messages: [] };
    },
    save(t: Thread) {
      write(key, JSON.stringify({ conversationId: t.conversationId, messages: t.messages.slice(-KEEP) }));
    },
  };
}
