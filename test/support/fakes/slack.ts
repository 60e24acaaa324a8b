import type { z } from 'zod';
import { slackConnector } from '../../../connectors/slack/index.ts';
import type { Connector } from '../../../connectors/types.ts';
import type { ContractHarness, FakeVendor, VendorMode } from '../connector-contract.ts';
import { startReceiver, type Received, type Reply } from '../receiver.ts';
import { leadMessage } from './crm.ts';

type Block = { type?: unknown; text?: { type?: unknown; text?: unknown }; elements?: unknown };
export type SlackPost = { text?: string; blocks?: Block[] };

export type FakeSlack = FakeVendor & {
  /** The incoming-webhook URL Slack hands out: the token in its last segment is the credential. */
  hookUrl: string;
  received: Received[];
  /** The messages posted to the channel. */
  posted: SlackPost[];
  /** The channel is archived from now on: Slack answers 410 channel_is_archived. */
  archive(): void;
};

/**
 * Slack's side of an incoming webhook (hooks.slack.com/services/T…/B…/token), answering as Slack
 * does: 200 `ok`, 400 `invalid_payload` for a body that is not JSON and `no_text` for a message
 * without text or blocks (nothing is posted: the connection test relies on it), 400
 * `invalid_blocks` for blocks Slack would refuse, 403 `invalid_token`, 404 `no_service` for a
 * webhook that is gone, 410 `channel_is_archived`, 429 `rate_limited` with Retry-After, and 500
 * `rollup_error`. Answers are text, as Slack's are.
 */
export async function startFakeSlack(): Promise<FakeSlack> {
  let mode: VendorMode = 'ok';
  let archived = false;
  const posted: SlackPost[] = [];
  const hookPath = '/services/T0000ACME/B0000HOOK/Xk9d2PqL7sVbN3mR8tYw4ZaE';
  const say = (status: number, body: string, headers: Record<string, string> = {}): Reply => ({
    status,
    body,
    headers: { 'content-type': 'text/html', ...headers },
  });
  const receiver = await startReceiver((req) => {
    switch (mode) {
      case 'server-error':
        return say(500, 'rollup_error');
      case 'rate-limited':
        return say(429, 'rate_limited', { 'retry-after': '3' });
      case 'auth':
        return say(403, 'invalid_token');
      case 'not-found':
        return say(404, 'no_service');
      case 'ok':
        break;
    }
    if (req.url !== hookPath) return say(404, 'no_service');
    if (req.method !== 'POST') return say(405, 'invalid_method');
    if (archived) return say(410, 'channel_is_archived');
    let body: SlackPost;
    try {
      body = JSON.parse(req.body.toString('utf8')) as SlackPost;
    } catch {
      return say(400, 'invalid_payload');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return say(400, 'invalid_payload');
    if (!body.text && !body.blocks?.length) return say(400, 'no_text');
    if (body.blocks !== undefined && !validBlocks(body.blocks)) return say(400, 'invalid_blocks');
    posted.push(body);
    return say(200, 'ok');
  });
  const hookUrl = `${receiver.url}${hookPath}`;
  return {
    hookUrl,
    received: receiver.received,
    posted,
    config: { url: hookUrl },
    setMode: (m) => {
      mode = m;
    },
    archive: () => {
      archived = true;
    },
    written: () => posted.length,
    close: receiver.close,
  };
}

/** What Slack checks of the blocks we send: known types, text objects of the right kind and length. */
function validBlocks(blocks: unknown): boolean {
  if (!Array.isArray(blocks) || blocks.length > 50) return false;
  return blocks.every((b: Block) => {
    if (b.type === 'header') return b.text?.type === 'plain_text' && typeof b.text.text === 'string' && b.text.text.length > 0 && b.text.text.length <= 150;
    if (b.type === 'section') return b.text?.type === 'mrkdwn' && typeof b.text.text === 'string' && b.text.text.length > 0 && b.text.text.length <= 3000;
    if (b.type === 'context') return Array.isArray(b.elements) && b.elements.length > 0 && b.elements.length <= 10;
    return false;
  });
}

export const slackHarness: ContractHarness = {
  connector: slackConnector as unknown as Connector<z.ZodType>,
  startVendor: startFakeSlack,
  message: () => leadMessage(),
};
