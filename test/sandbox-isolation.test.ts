/**
 * What one transformation run can leave for the next (issue 15): nothing, whether the worker's
 * QuickJS runtime is fresh for each run (the default) or reused with a fresh context per run, and
 * whether runs reach their thread one at a time or in a batch. Every sandbox here has one thread,
 * so consecutive runs meet in the same worker, engine and (when reused) runtime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox, type SandboxInput, type SandboxRequest } from '../server/transformations/sandbox.ts';
import { failure, ok } from './support/sandbox-results.ts';

const request: SandboxRequest = { headers: { 'content-type': 'application/json' }, body: { n: 1 }, query: {}, path: '/in' };
const input = (code: string, more: Partial<SandboxInput> = {}): SandboxInput => ({ code, env: {}, request, team: 'team_a', ...more });

/**
 * Writes everywhere a run could keep something (a global, a top-level binding, a built-in's
 * prototype, a built-in itself, the env object) after reporting what it found there.
 */
const SNOOP = `
  let calls = 0;
  const seen = {
    global: typeof globalThis.left === 'undefined' ? null : globalThis.left,
    proto: ({}).left === undefined ? null : ({}).left,
    arrayPush: Array.prototype.push.name,
    json: JSON.stringify({ a: 1 }),
    envLeft: env.left === undefined ? null : env.left,
  };
  addHandler('transform', (request, context) => {
    calls++;
    const mark = context.mark;
    globalThis.left = mark;
    Object.prototype.left = mark;
    Array.prototype.push = function sneaky() { return 0; };
    JSON.stringify = () => '"spoiled"';
    env.left = mark;
    return { body: { seen, calls, mark } };
  });
`;
const clean = { global: null, proto: null, arrayPush: 'push', json: '{"a":1}', envLeft: null };

describe.each([
  { mode: 'a fresh runtime per run (the default)', reuseRuntime: false },
  { mode: 'a reused runtime with a fresh context per run', reuseRuntime: true },
])('runs share nothing, with $mode', ({ reuseRuntime }) => {
  let sandbox: Sandbox;
  beforeAll(() => {
    sandbox = createSandbox({ threads: 1, reuseRuntime, timeoutMs: 1000 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('the same transformation run after run, and in one batch, finds none of what its previous runs wrote', async () => {
    for (let i = 0; i < 3; i++) {
      const out = ok(await sandbox.run(input(SNOOP, { context: { mark: `run-${i}` } })));
      // JSON.stringify was replaced by the run itself: the host reads its answer with the captured one.
      expect(out.body).toEqual({ seen: clean, calls: 1, mark: `run-${i}` });
    }
    // Twenty at once from one team: they reach the thread together, several per hop.
    const together = await Promise.all(Array.from({ length: 20 }, (_, i) => sandbox.run(input(SNOOP, { context: { mark: `batch-${i}` } }))));
    together.forEach((r, i) => expect(ok(r).body).toEqual({ seen: clean, calls: 1, mark: `batch-${i}` }));
  });

  it("one team's transformation never sees another team's variables or what its code wrote", async () => {
    const writer = `addHandler('transform', () => { globalThis.secret = env.SECRET; Object.prototype.secret = env.SECRET; return { body: 'wrote' }; });`;
    const reader = `addHandler('transform', () => ({ body: { global: typeof secret === 'undefined' ? null : secret, proto: ({}).secret ?? null, env: env.SECRET ?? null } }));`;
    const runs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0 ? sandbox.run(input(writer, { team: 'team_a', env: { SECRET: 'a-secret' } })) : sandbox.run(input(reader, { team: 'team_b', env: {} })),
      ),
    );
    runs.forEach((r, i) => expect(ok(r).body).toEqual(i % 2 === 0 ? 'wrote' : { global: null, proto: null, env: null }));
  });

  it('after a run hits the time limit or the memory cap, the next run of the same transformation works and starts clean', async () => {
    const code = `
      const before = typeof globalThis.left === 'undefined' ? null : globalThis.left;
      const protoBefore = ({}).left === undefined ? null : ({}).left;
      addHandler('transform', (request) => {
        globalThis.left = 'dirty';
        Object.prototype.left = 'dirty';
        if (request.body.then === 'loop') for (;;) {}
        if (request.body.then === 'bomb') { const a = []; for (;;) a.push(new ArrayBuffer(16 * 1024 * 1024)); }
        if (request.body.then === 'jobs') Promise.resolve().then(function again() { globalThis.fromJob = 'dirty'; return Promise.resolve().then(again); });
        return { body: { before, protoBefore, fromJob: typeof fromJob === 'undefined' ? null : fromJob } };
      });`;
    const next = async () => ok(await sandbox.run(input(code, { request: { ...request, body: { then: 'answer' } } }))).body;
    expect(await next()).toEqual({ before: null, protoBefore: null, fromJob: null });

    const loop = failure(await sandbox.run(input(code, { request: { ...request, body: { then: 'loop' } } })));
    // Stopped by the engine's interrupt, or by the watchdog on a machine too busy for it to be seen in time.
    expect(loop.code).toBe('TIMEOUT');
    expect(await next()).toEqual({ before: null, protoBefore: null, fromJob: null });

    // One allocation past the cap fails at once; filling the cap in steps ends in MEMORY, or in
    // TIMEOUT when the shared machine is slow enough for the deadline to come first.
    const huge = failure(
      await sandbox.run(
        input(code.replace("request.body.then === 'bomb'", 'true').replace('new ArrayBuffer(16 * 1024 * 1024)', 'new ArrayBuffer(200 * 1024 * 1024)')),
      ),
    );
    expect(huge).toEqual({ code: 'MEMORY', message: 'the transformation ran out of memory (64 MiB)' });
    expect(await next()).toEqual({ before: null, protoBefore: null, fromJob: null });
    const bomb = failure(await sandbox.run(input(code, { request: { ...request, body: { then: 'bomb' } } })));
    expect(['MEMORY', 'TIMEOUT']).toContain(bomb.code);
    expect(await next()).toEqual({ before: null, protoBefore: null, fromJob: null });
    // The whole cap is there again: 40 MB fits right after the bomb.
    expect(ok(await sandbox.run(input(`addHandler('transform', () => ({ body: new ArrayBuffer(40 * 1024 * 1024).byteLength }))`))).body).toBe(40 * 1024 * 1024);

    // A promise chain that never ends, left queued when the handler returned: whatever its run
    // answers, nothing of it reaches the next run.
    await sandbox.run(input(code, { request: { ...request, body: { then: 'jobs' } } }));
    expect(await next()).toEqual({ before: null, protoBefore: null, fromJob: null });
  });

  it('a run that times out in the middle of a batch fails alone: the runs queued with it answer', async () => {
    const fast = `addHandler('transform', (r, context) => ({ body: context.i }))`;
    // Fast runs first, so the team may batch (the limits hit above made it slow for a while).
    for (let i = 0; i < 12; i++) ok(await sandbox.run(input(fast, { context: { i: -1 } })));
    // The first goes to the thread alone; the loop and the rest wait, and go together once it answers.
    const first = sandbox.run(input(fast, { context: { i: 0 } }));
    const loop = sandbox.run(input(`addHandler('transform', () => { for (;;) {} })`));
    const others = Array.from({ length: 10 }, (_, i) => sandbox.run(input(fast, { context: { i: i + 1 } })));
    expect(ok(await first).body).toBe(0);
    expect(failure(await loop).code).toBe('TIMEOUT');
    (await Promise.all(others)).forEach((r, i) => expect(ok(r).body).toBe(i + 1));
  });

  it('a run the engine cannot interrupt gets its worker stopped; the runs batched with it run again on the new worker', async () => {
    const fast = `addHandler('transform', (r, context) => ({ body: context.i }))`;
    // Fast again after the loop above.
    for (let i = 0; i < 12; i++) ok(await sandbox.run(input(fast, { context: { i: -1 } })));
    const first = sandbox.run(input(fast, { context: { i: 0 } }));
    const stuck = sandbox.run(input(`addHandler('transform', () => { for (;;) 'ab'.repeat(1e6).replaceAll('a', 'bb'); })`));
    const others = Array.from({ length: 6 }, (_, i) => sandbox.run(input(fast, { context: { i: i + 1 } })));
    expect(ok(await first).body).toBe(0);
    expect(failure(await stuck)).toEqual({ code: 'TIMEOUT', message: 'the transformation did not finish within 1000 ms and was stopped' });
    (await Promise.all(others)).forEach((r, i) => expect(ok(r).body).toBe(i + 1));
  });
});
