import type { EventTypeOut } from '../../../../server/publish/event-types.service.ts';

/** An entry of GET /event-types (it has no dates, so the server type is the wire type). */
export type EventTypeItem = EventTypeOut;
