import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout's root. Files the server opens beside its code (worker scripts, package.json) are
 * named from here, not from the module that opens them: `npm start` runs the server bundled into
 * one file (server/dist/main.mjs, scripts/build-server-if-needed.mjs), where every module's
 * import.meta.url is the bundle's. This module and the bundle are both two levels down, so the
 * same relative path finds the root from either.
 */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const fromRoot = (...parts: string[]): string => path.join(ROOT, ...parts);
