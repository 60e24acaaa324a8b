import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import supertest from 'supertest';
import { afterAll, beforeAll, inject } from 'vitest';
import { loadConfig, type Config } from '../../server/config.ts';
import { startWirehub, type Wirehub } from '../../server/app.ts';
import { createLogger, type Logger } from '../../server/core/logger.ts';
import { startReceiver } from './receiver.ts';

export type TestHub = Wirehub & {
  api: (method: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string, token?: string) => supertest.Test;
  dataDir: string;
};

/** A real Wirehub (API + workers) on its own database or schema, listening on a free port. */
/** `log`: a logger of the test's own (to read what the hub writes); silent by default. */
export async function startTestHub(overrides: Partial<Config> = {}, env: Record<string, string> = {}, log?: Logger): Promise<TestHub> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirehub-test-'));
  const databaseUrl = inject('databaseUrl');
  const templateDir = inject('templateDir');
  if (!databaseUrl && templateDir) fs.cpSync(path.join(templateDir, 'pg'), path.join(dataDir, 'pg'), { recursive: true });
  const config = loadConfig(
    {
      PORT: '0',
      WIREHUB_DATA_DIR: dataDir,
      WIREHUB_ALLOW_PRIVATE_DESTINATIONS: 'true',
      // A test's burst on a shared 2-core machine can wait past the production bounds (1 s for the
      // commit, 150 ms of event-loop lag) and be refused 503 OVERLOADED; tests of other things keep
      // a stall's bound and no lag bound, and the overload test (ingest-overload.test.ts) sets both.
      WIREHUB_INGEST_MAX_WAIT_MS: '10000',
      WIREHUB_INGEST_MAX_LAG_MS: '0',
      WIREHUB_INGEST_MAX_LOOP_BUSY_PERCENT: '0',
      WIREHUB_INGEST_MAX_HEAP_PERCENT: '0',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl, WIREHUB_DB_SCHEMA: `t_${randomBytes(6).toString('hex')}` } : {}),
      ...env,
    },
    overrides,
  );
  const hub = await startWirehub(config, log ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'));
  const http = supertest(hub.url);
  return {
    ...hub,
    dataDir,
    api: (method, url, token) => {
      const t = http[method](url);
      return token ? t.set('authorization', `Bearer ${token}`) : t;
    },
    async close() {
      await hub.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let n = 0;
/** Signs up a fresh user and workspace and makes an API key with both scopes. */
export async function newWorkspace(hub: TestHub, scopes: string[] = ['read', 'write']) {
  const email = `user${Date.now()}${n++}@example.test`;
  const signup = await hub.api('post', '/api/v1/auth/signup').send({ email, password: 'correct horse battery', name: 'Test User', workspace: 'Test Co' });
  if (signup.status !== 201) throw new Error(`signup failed: ${signup.status} ${JSON.stringify(signup.body)}`);
  const key = await hub.api('post', '/api/v1/api-keys', signup.body.token).send({ name: 'tests', scopes });
  if (key.status !== 201) throw new Error(`key failed: ${key.status} ${JSON.stringify(key.body)}`);
  return { email, token: signup.body.token as string, key: key.body.key as string, teamId: signup.body.team.id as string };
}

export type Workspace = Awaited<ReturnType<typeof newWorkspace>>;

/**
 * The set-up the API stories share: registers a `beforeAll` that starts a hub (with `overrides`), signs
 * up a workspace with a read+write key and starts a receiver answering 200, and an `afterAll` that
 * closes them. Call it in the `describe` body; read `env.hub`, `env.ws`, `env.receiver` inside hooks
 * and tests registered after it (before its `beforeAll` they throw).
 */
export function hubWithWorkspace(overrides: Partial<Config> = {}) {
  let hub: TestHub | undefined;
  let ws: Workspace | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  beforeAll(async () => {
    hub = await startTestHub(overrides);
    ws = await newWorkspace(hub);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });
  const live = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`hubWithWorkspace: ${what} is read before its beforeAll started it`);
    return v;
  };
  return {
    get hub() {
      return live(hub, 'the hub');
    },
    get ws() {
      return live(ws, 'the workspace');
    },
    get receiver() {
      return live(receiver, 'the receiver');
    },
  };
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
