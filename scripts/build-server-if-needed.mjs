// `npm start` runs the server bundled into one file when its sources are newer than the last bundle.
// Loading ~250 TypeScript modules through tsx at every start kept the transpiler and its caches in
// the process: 195-199 MB RSS idle, 145-146 MB from the bundle (PostgreSQL, measured 2026-12-07).
// Packages stay external (node_modules as installed); workers and scripts the server starts are
// found from the checkout's root (server/core/root.ts), so the bundle sits two levels down.
import fs from 'node:fs';
import { newest } from './newest.mjs';
import { build } from 'esbuild';

const out = 'server/dist/main.mjs';

const built = fs.existsSync(out) ? fs.statSync(out).mtimeMs : 0;
const sources = Math.max(newest('server'), newest('shared'), newest('connectors'), fs.statSync('package.json').mtimeMs);
if (built < sources) {
  await build({
    entryPoints: ['server/main.ts'],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
}
