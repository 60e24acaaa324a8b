import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wirehubEntry } from '../bench/harness.ts';
import { call, childEnv, freePort, killHard, startChildHub, type ChildHub } from './support/child-hub.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * `npm start` runs the server bundled into one file (scripts/build-server-if-needed.mjs), where
 * every module's import.meta.url is the bundle's: the scripts and workers the server starts beside
 * its code must still be found. Each is exercised here through the bundle: the embedded database's
 * initdb child, the transformation sandbox's worker and the JSON Schema checker's worker.
 */
describe("npm start's bundle", () => {
  let hub: ChildHub | undefined;
  let dataDir: string;
  let key: string;
  const api = () => `${hub?.url}/api/v1`;

  beforeAll(async () => {
    // What npm start runs, heap cap included (the bundle is built first when its sources are newer).
    const args = wirehubEntry(ROOT);
    expect(args).toContain('server/dist/main.mjs');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirehub-bundle-'));
    const port = await freePort();
    const env = childEnv({ port, dataDir, schema: `t_${randomBytes(6).toString('hex')}` });
    // The embedded database, whatever the suite runs on: its initdb is one of the scripts to find.
    delete env.DATABASE_URL;
    hub = await startChildHub(env, port, 120_000, args);
    const signup = await call<{ token: string }>(`${api()}/auth/signup`, 'POST', {
      email: `bundle${Date.now()}@example.test`,
      password: 'correct horse battery',
      name: 'B',
      workspace: 'Bundle Co',
    });
    key = (await call<{ key: string }>(`${api()}/api-keys`, 'POST', { name: 'b', scopes: ['read', 'write'] }, signup.token)).key;
  }, 180_000);
  afterAll(async () => {
    await killHard(hub);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a transformation in its sandbox worker', async () => {
    const run = await call<{ ok: boolean; request: { body: unknown } }>(
      `${api()}/transformations/run`,
      'PUT',
      {
        code: "addHandler('transform', (request) => ({ ...request, body: { seen: request.body.n * 2 } }))",
        request: { body: { n: 21 } },
      },
      key,
    );
    expect(run.ok).toBe(true);
    expect(run.request.body).toEqual({ seen: 42 });
  });

  it('checks a JSON Schema in its worker', async () => {
    const res = await fetch(`${api()}/event-types`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ name: 'bundle.checked', schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } }, sample: { id: 7 } }),
    });
    const body = (await res.json()) as { error?: { code: string } };
    expect(res.status, JSON.stringify(body)).toBe(422);
    expect(body.error?.code).toBe('INVALID_SAMPLE');
  });
});
