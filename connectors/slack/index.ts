import { httpCall } from '../shared/http-call.ts';
import type { ConnectionTest, Connector, DeliveryContext, DeliveryResult, ErrorCode } from '../types.ts';
import { SlackConfigSchema, type SlackConfig } from './config.ts';

/** Keys the hub's flat envelope adds to every delivery (shared/envelope.ts): said in the context line, not listed as fields. */
const ENVELOPE_KEYS = new Set(['eventType', 'eventTimestamp', 'eventId', 'customerId', 'chatbotId', 'conversationId']);
// Slack's limits: a header's text 150 characters, a section's 3,000; more fields than fit are counted instead.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const VALUE_MAX = 300;
const FALLBACK_MAX = 300;

type Block =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: true } }
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'context'; elements: { type: 'mrkdwn'; text: string }[] };
export type SlackMessage = { text: string; blocks: Block[] };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Slack's mrkdwn treats &, < and > as markup (links, mentions): a field's value must not ping @channel. */
const escapeMrkdwn = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const text = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));

/**
 * The mapped fields of a delivery: beside the flat envelope's keys, under `data` of the nested one
 * (`{event, timestamp, workspace_id, id, data}`), or the whole body of a source's request.
 */
function fieldsOf(payload: unknown): [string, unknown][] {
  if (!isRecord(payload)) return payload === undefined ? [] : [['body', payload]];
  if (typeof payload.event === 'string' && isRecord(payload.data)) return Object.entries(payload.data);
  return Object.entries(payload).filter(([k]) => !ENVELOPE_KEYS.has(k));
}

function eventTypeOf(payload: unknown, given: string | undefined): string | undefined {
  if (given) return given;
  if (!isRecord(payload)) return undefined;
  if (typeof payload.eventType === 'string') return payload.eventType;
  return typeof payload.event === 'string' && isRecord(payload.data) ? payload.event : undefined;
}

/**
 * The Block Kit message of one delivery: a header (the title, or the event type), a section with
 * each mapped field on its own `*key:* value` line, a context line with the event's type and id,
 * and `text`, which Slack shows in notifications and where blocks cannot be drawn.
 */
export function slackMessage(payload: unknown, meta: { eventId: string; eventType?: string; title?: string }): SlackMessage {
  const eventType = eventTypeOf(payload, meta.eventType);
  const header = cut(meta.title?.trim() || eventType || 'Incoming request', HEADER_MAX);
  const fields = fieldsOf(payload);
  const lines: string[] = [];
  let size = 0;
  for (const [i, [key, value]] of fields.entries()) {
    const line = `*${escapeMrkdwn(key)}:* ${escapeMrkdwn(cut(text(value), VALUE_MAX))}`;
    const rest = fields.length - i;
    // Room is kept for the line that says how many did not fit.
    if (size + line.length + 1 > SECTION_MAX - 40) {
      lines.push(`_… and ${rest} more field${rest === 1 ? '' : 's'}_`);
      break;
    }
    lines.push(line);
    size += line.length + 1;
  }
  const context = `${eventType ? `\`${escapeMrkdwn(eventType)}\` · ` : ''}event \`${escapeMrkdwn(meta.eventId)}\``;
  const summary = fields.map(([k, v]) => `${k}: ${cut(text(v), 60)}`).join(', ');
  return {
    text: cut(summary ? `${header}: ${summary}` : header, FALLBACK_MAX),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: header, emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: lines.length ? lines.join('\n') : '_(no fields)_' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context }] },
    ],
  };
}

/**
 * The URL as attempts and hints show it: the webhook's token (its last path segment) and any query
 * left out, so a stored attempt or a read never hands over what posts to the channel.
 */
export function maskedSlackUrl(url: string): string {
  try {
    const u = new URL(url);
    const parts = u.pathname.split('/');
    const last = parts.findLastIndex((p) => p !== '');
    if (last >= 0) parts[last] = '••••';
    return `${u.origin}${parts.join('/')}`;
  } catch {
    return '••••';
  }
}

/** Slack's error code from its answer's body (`invalid_payload`, `no_service`…), or null. */
function slackCode(body: string | undefined): string | null {
  const code = body?.trim().slice(0, 100) ?? '';
  return /^[a-z_]+$/.test(code) ? code : null;
}

/** What each of Slack's answers asks the destination's owner to do. */
const ADVICE: Record<string, string> = {
  invalid_payload: 'Slack could not read the message',
  no_text: 'Slack found no text in the message',
  missing_text_or_fallback_or_attachments: 'Slack found no text in the message',
  invalid_blocks: "Slack refused the message's blocks",
  invalid_blocks_format: "Slack refused the message's blocks",
  too_many_attachments: 'the message is too long for Slack',
  user_not_found: 'the webhook posts to a user Slack no longer knows; make a new webhook',
  channel_not_found: "the webhook's channel no longer exists; make a new webhook for another channel",
  action_prohibited: 'a Slack admin restricted posting through this webhook',
  posting_to_general_channel_denied: 'only admins may post to this channel; make a webhook for another channel',
  invalid_token: 'the webhook was revoked; make a new one and paste its URL',
  no_service: 'the webhook was removed or its app uninstalled; make a new one and paste its URL',
  no_service_id: 'the webhook URL is incomplete; paste it again from Slack',
  no_team: 'the Slack workspace of this webhook no longer exists',
  team_disabled: 'the Slack workspace of this webhook was disabled',
  channel_is_archived: 'the channel was archived; unarchive it, or make a webhook for another channel, then enable the destination again',
};

/**
 * A Slack answer in the engine's terms: 2xx posted; 429 (with Retry-After), 408 and 5xx retried;
 * 410 (an archived channel) gone, so the destination is disabled; every other 4xx final, named by
 * Slack's error code, since sending the same message again cannot help.
 */
function outcome(result: DeliveryResult, url: string): DeliveryResult {
  const recorded = { ...result, request: { ...result.request, url: maskedSlackUrl(url) } };
  if (recorded.ok || recorded.status === undefined || recorded.status < 400) return recorded;
  const status = recorded.status;
  const code = slackCode(recorded.response?.body);
  const said = `Slack answered ${status}${code ? ` ${code}` : ''}`;
  if (status === 429 || status === 408 || status >= 500) return { ...recorded, error: said };
  const errorCode: ErrorCode = status === 401 || status === 403 ? 'AUTH' : status === 400 ? 'PAYLOAD' : status === 404 ? 'CONFIG' : 'HTTP_STATUS';
  const advice = (code && Object.hasOwn(ADVICE, code) ? ADVICE[code] : null) ?? (status === 404 ? ADVICE.no_service : null);
  return { ...recorded, retryable: false, errorCode, error: advice ? `${said}: ${advice}` : said };
}

async function probe(ctx: DeliveryContext, config: SlackConfig): Promise<ConnectionTest> {
  // An empty message posts nothing: a live webhook refuses it as having no text, a dead one says why it is dead.
  const sent = await httpCall(ctx, {
    method: 'POST',
    url: config.url,
    headers: { 'content-type': 'application/json', 'user-agent': ctx.userAgent },
    body: '{}',
    timeoutMs: config.timeout_ms,
  });
  const status = sent.status;
  const code = slackCode(sent.response?.body);
  if (status !== undefined && ((status >= 200 && status < 300) || (status === 400 && code !== 'no_service_id'))) {
    return { ok: true, message: 'Slack knows this webhook: each event will post a message to its channel.', warnings: [], details: { status } };
  }
  if (status === 429)
    return {
      ok: true,
      message: "Slack knows this webhook but is slowing it down (429): messages wait for Slack's Retry-After.",
      warnings: [],
      details: { status },
    };
  if (status !== undefined && status < 500) {
    const result = outcome(sent, config.url);
    return {
      ok: false,
      message: `${result.ok ? 'Slack refused the webhook' : result.error}.`,
      warnings: [],
      details: { status, ...(code ? { slack_error: code } : {}) },
    };
  }
  return { ok: false, message: `Slack could not be reached: ${sent.ok ? status : sent.error}.`, warnings: [], details: { status: status ?? null } };
}

export const slackConnector: Connector<typeof SlackConfigSchema> = {
  id: 'slack',
  displayName: 'Slack (incoming webhook)',
  configSchema: SlackConfigSchema,
  secretFields: ['url'],
  targetUrls: (config) => [{ path: 'url', url: config.url }],
  // Reads mask the URL as any secret; this form keeps the team and webhook ids a person recognises.
  describe: (config) => ({ url_hint: maskedSlackUrl(config.url) }),
  async deliver(ctx, config, message) {
    const body = Buffer.from(JSON.stringify(slackMessage(message.payload, { eventId: message.eventId, eventType: message.eventType, title: config.title })));
    const headers = { 'content-type': 'application/json; charset=utf-8', 'user-agent': ctx.userAgent };
    const result = await httpCall(
      ctx,
      { method: 'POST', url: config.url, headers, body, timeoutMs: config.timeout_ms, recordBody: true },
      { finalStatuses: (s) => s >= 400 && s < 500 && s !== 408 && s !== 429 },
    );
    return outcome(result, config.url);
  },
  testConnection: (ctx, config) => probe(ctx, config),
};
