import type { Page, ConnectionOut, DestinationOut, SourceOut } from '../../../../shared/api.ts';

/** A server type as it arrives over JSON: dates become ISO strings, everything else is unchanged. */
export type Wire<T> = T extends Date ? string : T extends (infer U)[] ? Wire<U>[] : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;

export type Source = Wire<SourceOut>;
export type Destination = Wire<DestinationOut>;
export type Connection = Wire<ConnectionOut>;
export type PageOf<T> = Omit<Page<T>, 'models'> & { models: T[] };

export type Tab = 'sources' | 'destinations' | 'connections';
