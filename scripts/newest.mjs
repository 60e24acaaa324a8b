import fs from 'node:fs';
import path from 'node:path';

/** The newest modification time (ms) of the files under `dir`, leaving out build outputs (`dist`) and installed packages. */
export const newest = (dir) =>
  fs.readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'dist' || e.name === 'node_modules' ? max : Math.max(max, newest(p));
    return Math.max(max, fs.statSync(p).mtimeMs);
  }, 0);
