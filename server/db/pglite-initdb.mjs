// PGlite's initdb, in a process of its own: `node server/db/pglite-initdb.mjs <dir>`.
//
// A process that has run initdb keeps 800-950 MB RSS for good (the WebAssembly memory it grew
// never shrinks), against ~170 MB for one that only opens an existing data dir. So the server
// creates a new data dir through this short-lived child and then opens it itself.
// Plain JavaScript so that it needs nothing but node (no tsx loader) on a bare machine.
import { PGlite } from '@electric-sql/pglite';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node pglite-initdb.mjs <data dir>');
  process.exit(2);
}
// If the server dies (SIGKILL during a first start) we are handed to another parent: stop too rather
// than go on writing a data dir that nobody will use.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 500).unref();
const db = await PGlite.create(dir);
await db.query('select 1');
await db.close();
process.exit(0);
