// `npm start` builds the portal only when its sources are newer than the last build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { newest } from './newest.mjs';

// One `vite build` writes both: the portal (index.html) and the embeddable chat widget (widget.js).
const outputs = ['web/dist/index.html', 'web/dist/widget.js'];

const built = Math.min(...outputs.map((out) => (fs.existsSync(out) ? fs.statSync(out).mtimeMs : 0)));
// The portal bundles shared/ (the flow graph's schema, its texts…) and the connectors' catalogue: a
// change there must rebuild it too (what it takes from server/ is types only, erased from the bundle).
const sources = Math.max(newest('web'), newest('shared'), newest('connectors'), fs.statSync('vite.config.ts').mtimeMs);
if (built < sources) {
  console.log('building the portal and the chat widget…');
  const r = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
