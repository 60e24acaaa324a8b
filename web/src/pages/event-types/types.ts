import type { EventTypeOut } from '../../../../shared/api.ts';

/** An entry of GET /event-types (it has no dates, so the server type is the wire type). */
export type EventTypeItem = EventTypeOut;
