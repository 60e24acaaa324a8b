import type { WebhookOut } from '../../../../shared/api.ts';
import type { Wire } from '../gateway/types.ts';

export type Webhook = Wire<WebhookOut>;
export type EventType = { name: string; group: string; description: string; sample: Record<string, unknown> };
