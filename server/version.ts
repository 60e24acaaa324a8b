import { createRequire } from 'node:module';

/** Wirehub's version, from package.json: sent as User-Agent and reported by the health probe. */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
