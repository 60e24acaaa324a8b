/**
 * The API's answers as the services define them, for the portal to read (it wraps most in `Wire<…>`:
 * dates arrive as strings). Types only: each line is erased when Vite bundles the portal, so the
 * server's modules behind them never reach the browser (.dependency-cruiser.cjs lets shared/ import
 * server/ for types and nothing else). A type the portal needs from the server goes here.
 */
export type { ConnectionTest } from '../connectors/types.ts';
export type { Page } from '../server/core/pagination.ts';
export type { ChatbotOut, chatbotsService } from '../server/chat/chatbots.service.ts';
export type { SystemChatOut } from '../server/chat/system-chat.service.ts';
export type { ChatbotSettings } from '../server/db/schema.ts';
export type { DeliveryReport } from '../server/delivery/deliver-now.ts';
export type { Counts, FlowCountsOut, FlowStats } from '../server/flows/flow-stats.ts';
export type { UsedByKindT, UsedByOut } from '../server/flows/used-by.service.ts';
export type { ConnectionOut } from '../server/gateway/connections.service.ts';
export type { DashboardOut, DashboardPoint, DashboardRange, FailingDestination, Percentiles, SparklinesOut } from '../server/gateway/dashboard.service.ts';
export type { Circuit, DestinationOut } from '../server/gateway/destinations.service.ts';
export type { MappingEntryT } from '../server/gateway/mappings.ts';
export type { MockRequestOut } from '../server/gateway/mock-api.service.ts';
export type { SourceOut } from '../server/gateway/sources.service.ts';
export type { EventTypeOut } from '../server/publish/event-types.service.ts';
export type { WebhookOut } from '../server/publish/webhooks.service.ts';
export type { CredentialOut } from '../server/settings/credentials.service.ts';
export type { SandboxLog, SandboxRequest } from '../server/transformations/sandbox.ts';
export type { ExecutionOut, RunOut, TransformationOut } from '../server/transformations/transformations.service.ts';
