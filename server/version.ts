import { createRequire } from 'node:module';
import { fromRoot } from './core/root.ts';

/** Wirehub's version, from package.json: sent as User-Agent and reported by the health probe. */
export const VERSION: string = (createRequire(import.meta.url)(fromRoot('package.json')) as { version: string }).version;
