import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createEmbeddedDataDir } from '../server/db/database.ts';
import { call, freePort, killHard, startChildHub, tail, type ChildHub } from './support/child-hub.ts';
import { startTestHub, type TestHub } from './support/hub.ts';

const embedded = !inject('databaseUrl');

/** Peak RSS (VmHWM) of a process, in MB. */
function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1]) / 1024;
}

const dirs: string[] = [];
const tmpDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
let running: ChildHub | undefined;
let hub: TestHub | undefined;
afterEach(async () => {
  await killHard(running);
  running = undefined;
  await hub?.close();
  hub = undefined;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!embedded)('the embedded database', () => {
  it('is created on a fresh data dir by a first start that never holds initdb memory, and a second start finds what the first stored', async () => {
    const dataDir = tmpDir('wirehub-fresh-');
    // What a first start killed during initdb leaves behind: not a database, and no obstacle.
    fs.mkdirSync(path.join(dataDir, 'pg.initdb-1'));
    fs.writeFileSync(path.join(dataDir, 'pg.initdb-1', 'PG_VERSION'), 'half-written');
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.homedir(),
      TMPDIR: os.tmpdir(),
      PORT: String(port),
      LOG_LEVEL: 'warn',
      WIREHUB_DATA_DIR: dataDir,
    };
    const stop = async (h: ChildHub) => {
      h.child.kill('SIGTERM');
      expect(await h.exited, tail(h.output)).toBe(0);
    };

    running = await startChildHub(env, port, 180_000);
    // initdb grows PGlite's WebAssembly memory to 800-950 MB for good; run in a child process, it
    // leaves the server at ~350 MB (bench/results-memory.md). A generous bar, still far below initdb's.
    expect(peakRssMb(running.child.pid as number)).toBeLessThan(600);
    const email = `fresh${Date.now()}@example.test`;
    await call(`${running.url}/api/v1/auth/signup`, 'POST', { email, password: 'correct horse battery', name: 'Fresh', workspace: 'Fresh Co' });
    await stop(running);
    expect(
      fs
        .readdirSync(dataDir)
        .filter((f) => f.startsWith('pg'))
        .sort(),
    ).toEqual(['pg']);

    running = await startChildHub(env, port, 180_000);
    const login = await call<{ token: string }>(`${running.url}/api/v1/auth/login`, 'POST', { email, password: 'correct horse battery' });
    expect(login.token).toEqual(expect.any(String));
    expect(peakRssMb(running.child.pid as number)).toBeLessThan(600);
    await stop(running);
    running = undefined;
  }, 400_000);

  it('runs with buffers sized for one process, not a server', async () => {
    hub = await startTestHub({}, { WIREHUB_ROLE: 'api' });
    const { rows } = await sql<{ shared_buffers: string; max_connections: string; timezone: string }>`
      SELECT current_setting('shared_buffers') AS shared_buffers, current_setting('max_connections') AS max_connections,
             current_setting('TimeZone') AS timezone`.execute(hub.deps.db);
    // initdb's postgresql.conf (its time zone included) still applies beneath these.
    expect(rows[0]).toEqual({ shared_buffers: '16MB', max_connections: '4', timezone: 'UTC' });
  });

  it('says why when creating a new database fails, and leaves nothing a later start would take for one', async () => {
    const dataDir = tmpDir('wirehub-initdb-fails-');
    const failing = path.join(dataDir, 'failing-initdb.mjs');
    fs.writeFileSync(
      failing,
      `import fs from 'node:fs';
       fs.mkdirSync(process.argv[2]);
       fs.writeFileSync(process.argv[2] + '/PG_VERSION', '18');
       console.error('initdb: could not write to file "base/1/1259": No space left on device');
       process.exit(3);`,
    );
    const pgDir = path.join(dataDir, 'pg');
    await expect(createEmbeddedDataDir(pgDir, failing)).rejects.toThrow(
      `Creating the embedded database in ${pgDir} failed (exit code 3):\ninitdb: could not write to file "base/1/1259": No space left on device`,
    );
    expect(fs.readdirSync(dataDir)).toEqual(['failing-initdb.mjs']);
  });
});
