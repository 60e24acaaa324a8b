import type { Page } from '../../../../server/core/pagination.ts';
import type { ConnectionOut } from '../../../../server/gateway/connections.service.ts';
import type { DestinationOut } from '../../../../server/gateway/destinations.service.ts';
import type { SourceOut } from '../../../../server/gateway/sources.service.ts';

/** A server type as it arrives over JSON: dates become ISO strings, everything else is unchanged. */
export type Wire<T> = T extends Date ? string : T extends (infer U)[] ? Wire<U>[] : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;

export type Source = Wire<SourceOut>;
export type Destination = Wire<DestinationOut>;
export type Connection = Wire<ConnectionOut>;
export type PageOf<T> = Omit<Page<T>, 'models'> & { models: T[] };

export type Tab = 'sources' | 'destinations' | 'connections';
