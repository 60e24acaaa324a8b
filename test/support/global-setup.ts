import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../server/config.ts';
import { startWirehub } from '../../server/app.ts';
import { createLogger } from '../../server/core/logger.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string | null;
    templateDir: string | null;
  }
}

/**
 * With DATABASE_URL (CI): a fresh database per run on that server, dropped at the end.
 * Without: an embedded database initialised and migrated once, copied for every test app.
 */
export default async function setup(project: TestProject) {
  // Browser tests in parallel workers would otherwise race to rebuild web/dist under each other.
  const build = spawnSync(process.execPath, ['scripts/build-web-if-needed.mjs'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building the portal failed:\n${build.stdout}\n${build.stderr}`);
  const server = process.env.DATABASE_URL;
  if (server) {
    const name = `wirehub_test_${Date.now()}_${process.pid}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(server);
    url.pathname = `/${name}`;
    project.provide('databaseUrl', url.toString());
    project.provide('templateDir', null);
    return async () => {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirehub-template-'));
  const hub = await startWirehub(loadConfig({ WIREHUB_DATA_DIR: dir, PORT: '0', WIREHUB_ROLE: 'api' }), createLogger('silent'));
  await hub.close();
  project.provide('databaseUrl', null);
  project.provide('templateDir', dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
