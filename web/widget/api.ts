// The widget's only way to Wirehub: the public chat endpoints, errors sorted into what the visitor
// can do about them (wait, retry, nothing).

export type LeadField = 'name' | 'email' | 'phone';
export type LeadState = { name?: string; email?: string; phone?: string; complete: boolean; asking?: LeadField };
export type ChatReply = {
  conversation_id: string;
  message_id: string;
  reply: string;
  sources: { id: string; question: string }[];
  lead: LeadState;
  escalated: boolean;
};
export type BotInfo = { name: string; welcome_message: string };
export type Rating = 'up' | 'down';

export type Failure =
  /** 429: the visitor may try again after `retryAfter` seconds. */
  | { kind: 'rate-limited'; retryAfter: number }
  /** The chatbot does not exist or refuses this website: nothing the visitor can do. */
  | { kind: 'refused'; code: string; message: string }
  /** No answer at all (offline, server down, or a CORS refusal the browser hid from us). */
  | { kind: 'network' }
  | { kind: 'rejected'; status: number; code: string; message: string };

// A plain Error carrying the failure (no subclass: class fields would pull helpers into the bundle).
export type WidgetError = Error & { failure: Failure };
const fail = (failure: Failure): WidgetError => Object.assign(new Error(failure.kind), { failure });

export function failureOf(err: unknown): Failure {
  return err instanceof Error && 'failure' in err ? (err as WidgetError).failure : { kind: 'network' };
}

const REFUSALS = new Set(['ORIGIN_NOT_ALLOWED', 'NOT_FOUND']);

/** Seconds from a Retry-After header (seconds or an HTTP date); a missing one reads as a minute. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number {
  if (header) {
    const s = Number(header);
    if (Number.isFinite(s)) return Math.max(1, Math.ceil(s));
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(1, Math.ceil((at - now) / 1000));
  }
  return 60;
}

type ErrorJson = { error?: { code?: string; message?: string; details?: { retry_after?: number } } };

/** The page the chat runs on, for conversation.started; without query or fragment, which may hold tokens. */
function pageUrl(): string | undefined {
  const { protocol, origin, pathname } = location;
  const url = origin + pathname;
  return (protocol === 'http:' || protocol === 'https:') && url.length <= 2000 ? url : undefined;
}

export function chatClient(origin: string, key: string) {
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(origin + path, {
        method,
        mode: 'cors',
        credentials: 'omit',
        // JSON sent as text/plain is a "simple" request: no preflight round trip before each message.
        headers: body === undefined ? undefined : { 'content-type': 'text/plain;charset=UTF-8' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw fail({ kind: 'network' });
    }
    const json = (await res.json().catch(() => null)) as (T & ErrorJson) | null;
    if (res.ok && json) return json;
    const code = json?.error?.code ?? `HTTP_${res.status}`;
    const message = json?.error?.message ?? `The chat answered ${res.status}.`;
    if (res.status === 429) {
      // Retry-After is readable only if the server exposes it to CORS; the body may carry it too.
      const header = res.headers.get('retry-after');
      const fromBody = json?.error?.details?.retry_after;
      throw fail({ kind: 'rate-limited', retryAfter: header || typeof fromBody !== 'number' ? retryAfterSeconds(header) : Math.max(1, Math.ceil(fromBody)) });
    }
    if (res.status >= 500) throw fail({ kind: 'network' });
    if (res.status === 403 || (res.status === 404 && REFUSALS.has(code) && path.startsWith('/api/public/chatbots/')))
      throw fail({ kind: 'refused', code, message });
    throw fail({ kind: 'rejected', status: res.status, code, message });
  }

  return {
    info: () => call<BotInfo>('GET', `/api/public/chatbots/${encodeURIComponent(key)}`),
    send: (visitorId: string, conversationId: string | null, message: string) => {
      const page_url = pageUrl();
      return call<ChatReply>('POST', '/api/public/system-chat', {
        chatbot_key: key,
        visitor_id: visitorId,
        ...(conversationId ? { conversation_id: conversationId } : {}),
        message,
        ...(page_url ? { page_url } : {}),
        // Phone numbers typed without +code are read in the country of the visitor's language, unless the chatbot sets one.
        ...(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(navigator.language ?? '') ? { locale: navigator.language } : {}),
      });
    },
    rate: (conversationId: string, messageId: string, rating: Rating, visitorId: string) =>
      call<{ message_id: string; rating: Rating; updated: boolean }>('POST', `/api/public/conversations/${encodeURIComponent(conversationId)}/rate`, {
        message_id: messageId,
        rating,
        visitor_id: visitorId,
      }),
  };
}

export type ChatClient = ReturnType<typeof chatClient>;
