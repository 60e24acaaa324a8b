// `npm start` builds the portal only when its sources are newer than the last build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// One `vite build` writes both: the portal (index.html) and the embeddable chat widget (widget.js).
const outputs = ['web/dist/index.html', 'web/dist/widget.js'];
const newest = (dir) =>
  fs.readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'dist' ? max : Math.max(max, newest(p));
    return Math.max(max, fs.statSync(p).mtimeMs);
  }, 0);

const built = Math.min(...outputs.map((out) => (fs.existsSync(out) ? fs.statSync(out).mtimeMs : 0)));
// The portal imports shared schemas from server/ and connectors/ (flow-graph.ts, flow-fields.ts…):
// a change there must rebuild it too. A needless rebuild costs a second or two.
const sources = Math.max(newest('web'), newest('server'), newest('connectors'), fs.statSync('vite.config.ts').mtimeMs);
if (built < sources) {
  console.log('building the portal and the chat widget…');
  const r = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
