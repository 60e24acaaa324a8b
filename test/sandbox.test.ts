import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, SandboxBusy, type Sandbox, type SandboxInput, type SandboxRequest } from '../server/transformations/sandbox.ts';
import { failure, ok } from './support/sandbox-results.ts';
import { startReceiver } from './support/receiver.ts';

const request: SandboxRequest = {
  headers: { 'content-type': 'application/json', 'x-shop': 'acme' },
  body: { order_id: 'ord_1', total: 30, customer: { email: 'Jane@Example.com' } },
  query: { source: 'shop' },
  path: '/webhooks/orders',
};
const input = (code: string, more: Partial<SandboxInput> = {}): SandboxInput => ({ code, env: { TENANT: 'acme' }, request, ...more });
const handler = (body: string) => `addHandler('transform', ${body});`;

describe('the transformation sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(() => {
    sandbox = createSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });
  const run = (code: string, more: Partial<SandboxInput> = {}) => sandbox.run(input(code, more));

  describe('what a transformation can do', () => {
    it('rewrites headers, body, query and path, with env and context, and the logs of each level', async () => {
      const r = await run(
        `
        addHandler('transform', (request, context) => {
          console.log('order', request.body.order_id, { total: request.body.total });
          console.info('%s has %d items', 'cart', 3);
          console.warn('tenant', env.TENANT);
          console.error(new Error('just a warning'));
          console.debug([1, 'two', null]);
          return {
            headers: { ...request.headers, 'x-tenant': context.env.TENANT, 'x-source': context.source_name },
            body: { id: request.body.order_id, email: request.body.customer.email.toLowerCase() },
            query: { ...request.query, tenant: env.TENANT },
            path: '/orders/' + request.body.order_id,
          };
        });`,
        { context: { source_name: 'shopify' } },
      );
      expect(ok(r)).toEqual({
        headers: { 'content-type': 'application/json', 'x-shop': 'acme', 'x-tenant': 'acme', 'x-source': 'shopify' },
        body: { id: 'ord_1', email: 'jane@example.com' },
        query: { source: 'shop', tenant: 'acme' },
        path: '/orders/ord_1',
      });
      expect(r.logs.map((l) => [l.level, l.message.split('\n')[0]])).toEqual([
        ['log', 'order ord_1 {"total":30}'],
        ['info', 'cart has 3 items'],
        ['warn', 'tenant acme'],
        ['error', 'Error: just a warning'],
        ['debug', '[1,"two",null]'],
      ]);
      for (const l of r.logs) expect(l.at_ms).toBeGreaterThanOrEqual(0);
      expect(r.duration_ms).toBeGreaterThan(0);
    });

    it('awaits an async handler', async () => {
      const r = await run(
        handler(`async (request) => {
        const total = await Promise.resolve(request.body.total).then((t) => t * 2);
        await null;
        return { ...request, body: { total } };
      }`),
      );
      expect(ok(r).body).toEqual({ total: 60 });
    });

    it('keeps the parts the result leaves out, and an undefined body becomes null', async () => {
      expect(ok(await run(handler(`() => ({ body: 'replaced' })`)))).toEqual({ ...request, body: 'replaced' });
      expect(ok(await run(handler(`() => ({ path: '/elsewhere' })`)))).toEqual({ ...request, path: '/elsewhere' });
      expect(ok(await run(handler(`(r) => ({ ...r, body: undefined })`))).body).toBeNull();
    });

    it('starts every run from scratch: nothing one run leaves behind reaches the next', async () => {
      ok(await run(`globalThis.leftover = 'secret'; Object.prototype.polluted = 1; ${handler('(r) => r')}`));
      const seen = await Promise.all(Array.from({ length: 4 }, () => run(handler(`(r) => ({ body: [typeof leftover, typeof ({}).polluted] })`))));
      for (const r of seen) expect(ok(r).body).toEqual(['undefined', 'undefined']);
    });
  });

  describe('the isolation boundary', () => {
    it('has no process, require, fetch, timers or module loader, not even through the Function constructor', async () => {
      const r = await run(
        handler(`async () => {
        const probes = {
          process: typeof process,
          globalThisProcess: typeof globalThis.process,
          require: typeof require,
          module: typeof module,
          fetch: typeof fetch,
          XMLHttpRequest: typeof XMLHttpRequest,
          WebSocket: typeof WebSocket,
          setTimeout: typeof setTimeout,
          setImmediate: typeof setImmediate,
          std: typeof std,
          os: typeof os,
          viaConstructor: this.constructor.constructor('return typeof process')(),
          viaFunctionThis: typeof Function('return this')().process,
          viaArrow: (() => {}).constructor('return typeof require')(),
        };
        const imports = {};
        for (const name of ['fs', 'node:fs', 'child_process', 'http', 'std', 'os']) {
          try { await import(name); imports[name] = 'loaded'; } catch (e) { imports[name] = String(e); }
        }
        let escape;
        try { escape = this.constructor.constructor('return process')().pid; } catch (e) { escape = e.name; }
        return { body: { probes, imports, escape } };
      }`),
      );
      const body = ok(r).body as { probes: Record<string, string>; imports: Record<string, string>; escape: unknown };
      for (const [name, type] of Object.entries(body.probes)) expect(type, name).toBe('undefined');
      for (const [name, outcome] of Object.entries(body.imports)) expect(outcome, name).toMatch(/could not load module/);
      expect(body.escape).toBe('ReferenceError');
    });

    it('reaches no network: a receiver on this machine hears nothing', async () => {
      const receiver = await startReceiver();
      try {
        const r = await run(
          handler(`async () => {
          const url = env.URL, tried = [];
          for (const attempt of [
            () => fetch(url),
            () => new XMLHttpRequest().open('GET', url),
            () => new WebSocket(url),
            () => import('http').then((http) => http.get(url)),
            () => require('http').get(url),
          ]) {
            try { await attempt(); tried.push('reached'); } catch (e) { tried.push(e.name); }
          }
          return { body: tried };
        }`),
          { env: { URL: receiver.url } },
        );
        expect(ok(r).body).toEqual(['ReferenceError', 'ReferenceError', 'ReferenceError', 'ReferenceError', 'ReferenceError']);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(receiver.received).toHaveLength(0);
      } finally {
        await receiver.close();
      }
    });

    it('reads no file: neither the engine nor module loading exposes the file system', async () => {
      const r = await run(
        handler(`async () => {
        const tried = [];
        for (const attempt of [() => std.loadFile('/etc/passwd'), () => os.open('/etc/passwd'), () => import('/etc/passwd'), () => import('./package.json')]) {
          try { tried.push(String(await attempt())); } catch (e) { tried.push(e.name); }
        }
        return { body: tried };
      }`),
      );
      expect(ok(r).body).toEqual(['ReferenceError', 'ReferenceError', 'ReferenceError', 'ReferenceError']);
    });
  });

  describe('failures are answers, not crashes', () => {
    it('names a syntax error and its line', async () => {
      const e = failure(await run(`addHandler('transform', (request) => {\n  const x = ;\n  return request;\n});`));
      expect(e.code).toBe('SYNTAX');
      expect(e.message).toMatch(/^SyntaxError: .*\(line 2, column \d+\)$/);
    });

    it('says when no transform handler was registered', async () => {
      expect(failure(await run(`const f = (r) => r;`)).code).toBe('NO_HANDLER');
      const wrongName = failure(await run(`addHandler('transfrom', (r) => r);`));
      expect(wrongName).toEqual({ code: 'THREW', message: expect.stringContaining('unknown handler "transfrom"') });
    });

    it('reports what was thrown, where, with the logs written before', async () => {
      const r = await run(`
        addHandler('transform', (request) => {
          console.log('about to fail');
          return explode(request);
        });
        function explode(request) {
          throw new TypeError('no customer on ' + request.body.order_id);
        }`);
      expect(failure(r)).toEqual({ code: 'THREW', message: expect.stringMatching(/^TypeError: no customer on ord_1 \(line 7, column \d+\)$/) });
      expect(r.logs.map((l) => l.message)).toEqual(['about to fail']);
      expect(failure(await run(handler(`async () => { await null; throw 'plain string'; }`)))).toEqual({ code: 'THREW', message: 'plain string' });
      expect(failure(await run(`throw new RangeError('at the top level');`))).toMatchObject({
        code: 'THREW',
        message: expect.stringContaining('RangeError: at the top level'),
      });
      // A SyntaxError raised while running is a throw, not a syntax error of the code.
      expect(failure(await run(handler(`() => JSON.parse('{')`))).code).toBe('THREW');
    });

    it('refuses anything but a request-shaped plain object, saying what came back', async () => {
      const cases: [string, RegExp][] = [
        [`() => 'text'`, /returned a string/],
        [`() => [1, 2]`, /returned an array/],
        [`() => null`, /returned null/],
        [`() => {}`, /returned undefined/],
        [`() => new Map()`, /returned a Map instance/],
        [`() => ({ headers: { 'x-count': 5 } })`, /headers\.x-count must be a string \(got a number\)/],
        [`() => ({ headers: 'x' })`, /headers must be an object of strings \(got a string\)/],
        [`() => ({ headers: { 'bad name': 'v' } })`, /"bad name" is not a valid header name/],
        [`() => ({ headers: { 'x-a': 'one\\r\\nx-b: two' } })`, /headers\.x-a must not contain line breaks/],
        [`() => ({ query: [1] })`, /query must be an object \(got an array\)/],
        [`() => ({ path: 'no-slash' })`, /path must start with "\/"/],
        [`() => ({ path: 42 })`, /path must be a string \(got a number\)/],
        [`() => { const body = {}; body.self = body; return { body }; }`, /cannot be turned into JSON: .*circular/i],
        [`() => ({ body: 10n })`, /cannot be turned into JSON/],
        [`() => new Promise(() => {})`, /never settles/],
      ];
      for (const [fn, message] of cases) {
        const e = failure(await run(handler(fn)));
        expect(e.code, fn).toBe('BAD_RESULT');
        expect(e.message, fn).toMatch(message);
      }
    });

    it('refuses input or output over 5 MB of JSON', async () => {
      const big = 'x'.repeat(5 * 1024 * 1024 + 10);
      const tooBigIn = failure(await run(handler('(r) => r'), { request: { ...request, body: { big } } }));
      expect(tooBigIn.code).toBe('TOO_LARGE');
      const tooBigOut = failure(await run(handler(`(r) => ({ body: 'y'.repeat(5 * 1024 * 1024 + 10) })`)));
      expect(tooBigOut.code).toBe('TOO_LARGE');
      expect(ok(await run(handler(`(r) => ({ body: 'y'.repeat(4 * 1024 * 1024) })`))).body).toHaveLength(4 * 1024 * 1024);
    });

    it('caps the logs at 100 entries of 4,096 characters, then one "…truncated" entry', async () => {
      const r = await run(handler(`(r) => { for (let i = 0; i < 1000; i++) console.log(i, 'z'.repeat(10000)); return r; }`));
      ok(r);
      expect(r.logs).toHaveLength(101);
      expect(r.logs[0].message).toHaveLength(4096);
      expect(r.logs[0].message.startsWith('0 zzz')).toBe(true);
      expect(r.logs[99].message.startsWith('99 ')).toBe(true);
      expect(r.logs[100].message).toBe('…truncated');
    });
  });

  describe('runaway code', () => {
    it('stops an infinite loop at the deadline and serves the next run', async () => {
      const started = Date.now();
      const r = await run(`console.log('looping'); ${handler('() => { for (;;) {} }')}`);
      const elapsed = Date.now() - started;
      expect(failure(r)).toEqual({ code: 'TIMEOUT', message: 'the transformation did not finish within 1000 ms' });
      expect(r.logs.map((l) => l.message)).toEqual(['looping']);
      expect(r.duration_ms).toBeGreaterThanOrEqual(1000);
      // QuickJS's own interrupt ends it at ~1 s; the bound is loose because the test machine is shared.
      expect(elapsed).toBeLessThan(3000);
      expect(ok(await run(handler('(r) => r')))).toEqual(request);
    });

    it('stops a loop that runs as a promise job, and one the engine cannot interrupt in time, by stopping the worker', async () => {
      const inJob = failure(await run(handler(`() => Promise.resolve().then(() => { while (true) {} })`)));
      expect(inJob.code).toBe('TIMEOUT');
      // QuickJS consults its deadline every ~10,000 calls and backward jumps; each turn of this loop is
      // three of them and tens of milliseconds of native string work, so the deadline would be seen
      // after minutes: the watchdog terminates the worker at timeout + grace and piscina replaces it.
      const started = Date.now();
      const stuck = failure(await run(handler(`() => { for (;;) 'ab'.repeat(1e6).replaceAll('a', 'bb'); }`)));
      expect(stuck).toEqual({ code: 'TIMEOUT', message: 'the transformation did not finish within 1000 ms and was stopped' });
      expect(Date.now() - started).toBeLessThan(4000);
      const after = await Promise.all(Array.from({ length: 4 }, () => run(handler('(r) => r'))));
      for (const r of after) expect(ok(r)).toEqual(request);
    });

    it('keeps the API event loop ticking while a run loops', async () => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      try {
        expect(failure(await run(handler('() => { for (;;) {} }'))).code).toBe('TIMEOUT');
      } finally {
        clearInterval(timer);
      }
      // ~100 in a second if nothing blocked; a blocked loop would give 0 or 1.
      expect(ticks).toBeGreaterThan(20);
    });

    it('caps memory for real: 40 MB fits, the memory bomb gets MEMORY and the next run works', async () => {
      expect(ok(await run(handler(`() => ({ body: new ArrayBuffer(40 * 1024 * 1024).byteLength })`))).body).toBe(40 * 1024 * 1024);
      const fastBomb = failure(await run(handler(`() => { const a = []; for (;;) a.push(new ArrayBuffer(16 * 1024 * 1024)); }`)));
      expect(fastBomb).toEqual({ code: 'MEMORY', message: 'the transformation ran out of memory (64 MiB)' });
      const oneHugeString = failure(await run(handler(`() => ({ body: 'x'.repeat(200 * 1024 * 1024).length })`)));
      expect(oneHugeString.code).toBe('MEMORY');
      // Running out is an error like any other inside: code that catches it carries on.
      const caught = await run(
        handler(`() => { let a = []; try { for (;;) a.push(new ArrayBuffer(1 << 20)); } catch (e) { a = null; return { body: String(e) }; } }`),
      );
      expect(ok(caught).body).toBe('InternalError: out of memory');
      expect(ok(await run(handler('(r) => r')))).toEqual(request);
    });

    it('answers 50 callers at once, each with its own result', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => run(handler(`(r, context) => ({ ...r, body: { n: context.n, twice: context.n * 2 } })`), { context: { n: i } })),
      );
      results.forEach((r, i) => expect(ok(r).body).toEqual({ n: i, twice: i * 2 }));
    });
  });

  it('the memory bomb of the issue gets MEMORY when the deadline leaves it time to fill the cap', async () => {
    // 'x'.repeat(1e6) costs 5-15 ms in QuickJS and ~80 of them fill 64 MiB, and QuickJS consults its
    // deadline only every ~10,000 operations (80 loop turns never reach that). Under the default 1 s
    // deadline this bomb therefore meets whichever limit comes first: on the shared 2-core machine,
    // 8 of 9 runs ended in the watchdog's TIMEOUT at ~1.5 s and 1 in MEMORY at 1.36 s. With room on
    // the clock the answer is always MEMORY; the default sandbox's MEMORY is asserted with the fast
    // bombs above.
    const roomy = createSandbox({ timeoutMs: 20_000, threads: 1 });
    try {
      const r = await roomy.run(input(handler(`() => { const a = []; for (;;) a.push('x'.repeat(1e6)); }`)));
      expect(failure(r)).toEqual({ code: 'MEMORY', message: 'the transformation ran out of memory (64 MiB)' });
      // Small objects fill the cap to the last byte: QuickJS has no room left for its error and throws null.
      const objects = await roomy.run(input(handler(`() => { const a = []; for (;;) a.push({ n: a.length }); }`)));
      expect(failure(objects).code).toBe('MEMORY');
      expect(ok(await roomy.run(input(handler('(r) => r'))))).toEqual(request);
    } finally {
      await roomy.close();
    }
  });

  it('gives up on a run that waited too long for a thread (SandboxBusy) instead of letting waits outgrow a delivery lease, and recovers', async () => {
    const s = createSandbox({ threads: 1, maxWaitMs: 500, timeoutMs: 800 });
    try {
      const loop = s.run(input(handler('() => { for (;;) {} }')));
      // Queued behind the endless loop for longer than it may wait.
      await expect(s.run(input(handler('(r) => r')))).rejects.toBeInstanceOf(SandboxBusy);
      expect(failure(await loop).code).toBe('TIMEOUT');
      // A wait inside the allowance is just a wait.
      expect(ok(await s.run(input(handler('(r) => r'))))).toEqual(request);
    } finally {
      await s.close();
    }
  });

  it('refuses runs once closed', async () => {
    const s = createSandbox({ threads: 1 });
    ok(await s.run(input(handler('(r) => r'))));
    await s.close();
    await expect(s.run(input(handler('(r) => r')))).rejects.toThrow(/closed/);
  });
});
