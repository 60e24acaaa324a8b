import type { chatbotsService, ChatbotOut, ChatbotSettings } from '../../../../shared/api.ts';
import type { Wire } from '../gateway/types.ts';

type Service = ReturnType<typeof chatbotsService>;
type Resolved<F extends (...a: never[]) => Promise<unknown>> = Wire<Awaited<ReturnType<F>>>;

export type { ChatbotSettings };
export type LeadField = ChatbotSettings['lead_capture']['fields'][number];
export type Chatbot = Wire<ChatbotOut>;
export type KbEntry = Resolved<Service['addEntry']>;
export type Conversation = Resolved<Service['listConversations']>['models'][number];
export type Transcript = Resolved<Service['transcript']>;
export type TranscriptMessage = Transcript['messages'][number];
export type Lead = Resolved<Service['listLeads']>['models'][number];
export type ImportResult = Resolved<Service['importEntries']>;

export const TABS = [
  { tab: 'settings', label: 'Settings' },
  { tab: 'try', label: 'Try it' },
  { tab: 'install', label: 'Install' },
  { tab: 'knowledge', label: 'Knowledge base' },
  { tab: 'conversations', label: 'Conversations' },
  { tab: 'leads', label: 'Leads' },
] as const;
export type Tab = (typeof TABS)[number]['tab'];
