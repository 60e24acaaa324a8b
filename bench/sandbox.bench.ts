/**
 * What a transformation run costs through the sandbox: one small transformation (headers, body
 * and path rewritten, one console.log), as the delivery engine would call it.
 *
 *   npm run bench:sandbox            (SANDBOX_THREADS=1 to measure one worker; SANDBOX_ROUNDS=3 for more rounds;
 *                                     SANDBOX_COMPARE=<another checkout> adds its sandbox, default options, to part 2)
 *
 * 1. Where the time of one run goes, in one thread with no hop (QuickJS runtime, context, the
 *    bootstrap, compiling the user's code, the call with its JSON in and out, disposal), and what
 *    compiling once and keeping the context would cost (not used: state would survive runs).
 * 2. The sandbox's options side by side (fresh or reused runtime, one run or a batch per thread
 *    hop), alternating rounds on the same machine: runs/s with 50 callers and the process's CPU
 *    (main thread and workers) per run, which a busy neighbour disturbs less than runs/s.
 * 3. The caller's latency one run at a time (p50/p99) with the default options.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule } from 'quickjs-emscripten';
import { createSandbox, type SandboxInput, type SandboxOptions } from '../server/transformations/sandbox.ts';
import { percentile } from './measure.ts';

const code = `
addHandler('transform', (request, context) => {
  console.log('order', request.body.order_id);
  return {
    ...request,
    headers: { ...request.headers, 'x-tenant': context.env.TENANT },
    body: { id: request.body.order_id, total: request.body.items.reduce((s, i) => s + i.price * i.qty, 0), email: request.body.customer.email.toLowerCase() },
    path: '/orders/' + request.body.order_id,
  };
});`;
const input: SandboxInput = {
  code,
  env: { TENANT: 'acme' },
  team: 'team_bench',
  request: {
    headers: { 'content-type': 'application/json', 'user-agent': 'bench' },
    body: {
      order_id: 'ord_123',
      customer: { email: 'Jane@Example.com' },
      items: [
        { price: 10, qty: 2 },
        { price: 5.5, qty: 1 },
      ],
    },
    query: { source: 'shop' },
    path: '/webhooks/orders',
  },
};
const threads = process.env.SANDBOX_THREADS ? Number(process.env.SANDBOX_THREADS) : undefined;
const rounds = Number(process.env.SANDBOX_ROUNDS ?? 2);

// ---- 1. Inside the engine, one thread, no hop ----------------------------------------------------
// The worker's bootstrap is read from its source so this measures what it compiles, not a copy.
const workerSource = readFileSync(new URL('../server/transformations/sandbox-worker.mjs', import.meta.url), 'utf8');
const templateOf = (name: string) => {
  const m = new RegExp(`const ${name} = String\\.raw\`([\\s\\S]*?)\`;\\n`).exec(workerSource);
  if (!m) throw new Error(`${name} not found in sandbox-worker.mjs`);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: these are the placeholders in the worker's source text.
  return m[1].replaceAll('${MAX_LOGS}', '100').replaceAll('${MAX_LOG_CHARS}', '4096');
};
const BOOTSTRAP = templateOf('BOOTSTRAP');

async function engineBreakdown(): Promise<void> {
  const pages = (16 + 64) * 16;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const quickjs: QuickJSWASMModule = await newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmMemory: memory }));
  const inputJson = JSON.stringify({ request: input.request, context: {} });
  const parts: Record<string, number> = {};
  const lap = (name: string, since: number) => {
    const now = performance.now();
    parts[name] = (parts[name] ?? 0) + (now - since);
    return now;
  };
  const reused: { runtime: QuickJSRuntime | null } = { runtime: null };
  function once(reuse: boolean): void {
    let t = performance.now();
    const rt = reuse && reused.runtime ? reused.runtime : quickjs.newRuntime();
    if (rt !== reused.runtime) {
      rt.setMemoryLimit(64 * 1024 * 1024);
      rt.setMaxStackSize(512 * 1024);
      rt.setInterruptHandler(() => false);
      if (reuse) reused.runtime = rt;
    }
    t = lap('runtime', t);
    const vm = rt.newContext();
    t = lap('context', t);
    const handles: QuickJSHandle[] = [];
    const keep = (h: QuickJSHandle) => (handles.push(h), h);
    const hostLog = keep(vm.newFunction('hostLog', () => {}));
    const factory = keep(vm.unwrapResult(vm.evalCode(BOOTSTRAP, 'wirehub-bootstrap.js')));
    const api = keep(vm.unwrapResult(vm.callFunction(factory, vm.undefined, hostLog, keep(vm.newString('{"TENANT":"acme"}')))));
    const run = keep(vm.getProp(api, 'run'));
    t = lap('bootstrap', t);
    keep(vm.unwrapResult(vm.evalCode(code, 'transformation.js')));
    rt.executePendingJobs();
    t = lap('compile user code', t);
    const promise = keep(vm.unwrapResult(vm.callFunction(run, vm.undefined, keep(vm.newString(inputJson)))));
    let state = vm.getPromiseState(promise);
    while (state.type === 'pending') {
      rt.executePendingJobs();
      state = vm.getPromiseState(promise);
    }
    if (state.type !== 'fulfilled') throw new Error('the bench transformation failed');
    JSON.parse(vm.getString(keep(state.value)));
    t = lap('call (JSON in, handler, JSON out)', t);
    for (const h of handles.reverse()) if (h.alive) h.dispose();
    vm.dispose();
    t = lap('dispose context', t);
    if (!reuse) rt.dispose();
    lap('dispose runtime', t);
  }
  const n = 2000;
  for (const reuse of [false, true]) {
    for (let i = 0; i < 300; i++) once(reuse);
    for (const k of Object.keys(parts)) delete parts[k];
    const t = performance.now();
    for (let i = 0; i < n; i++) once(reuse);
    const total = ((performance.now() - t) / n) * 1000;
    const shown = Object.entries(parts)
      .map(([k, v]) => `${k} ${((v / n) * 1000).toFixed(0)}`)
      .join(', ');
    console.log(`  ${reuse ? 'reused runtime, fresh context' : 'fresh runtime and context   '}: ${total.toFixed(0)} µs/run (${shown})`);
  }
  reused.runtime?.dispose();

  // Compile once, keep the context, only call: the floor of "compile once per version". Not an
  // option: the context, and so every global and closure of the code, survives into the next run.
  const rt = quickjs.newRuntime();
  const vm = rt.newContext();
  const factory = vm.unwrapResult(vm.evalCode(BOOTSTRAP, 'wirehub-bootstrap.js'));
  const hostLog = vm.newFunction('hostLog', () => {});
  const env = vm.newString('{"TENANT":"acme"}');
  const api = vm.unwrapResult(vm.callFunction(factory, vm.undefined, hostLog, env));
  const run = vm.getProp(api, 'run');
  vm.unwrapResult(vm.evalCode(code, 'transformation.js')).dispose();
  const call = () => {
    const arg = vm.newString(inputJson);
    const promise = vm.unwrapResult(vm.callFunction(run, vm.undefined, arg));
    rt.executePendingJobs();
    const state = vm.getPromiseState(promise);
    if (state.type !== 'fulfilled') throw new Error('the bench transformation failed');
    JSON.parse(vm.getString(state.value));
    state.value.dispose();
    promise.dispose();
    arg.dispose();
  };
  for (let i = 0; i < 300; i++) call();
  const t = performance.now();
  for (let i = 0; i < n; i++) call();
  console.log(`  compiled once, context kept (NOT isolating runs): ${(((performance.now() - t) / n) * 1000).toFixed(0)} µs/run`);
  for (const h of [run, api, env, hostLog, factory]) h.dispose();
  vm.dispose();
  rt.dispose();
}

console.log('1. one run inside the engine, one thread, no thread hop (µs):');
await engineBreakdown();

// ---- 2. The sandbox's options, side by side -------------------------------------------------------
type Make = (opts: SandboxOptions) => ReturnType<typeof createSandbox>;
const options: { name: string; opts: SandboxOptions; make?: Make }[] = [
  { name: 'fresh runtime, 1 run per hop', opts: { batch: 1, reuseRuntime: false } },
  { name: 'fresh runtime, batches of 16', opts: { batch: 16, reuseRuntime: false } },
  { name: 'reused runtime, 1 run per hop', opts: { batch: 1, reuseRuntime: true } },
  { name: 'reused runtime, batches of 16', opts: { batch: 16, reuseRuntime: true } },
];
// An A/B against another checkout (the code before a change) in the same sitting, the same harness.
if (process.env.SANDBOX_COMPARE) {
  const other = (await import(`${process.env.SANDBOX_COMPARE}/server/transformations/sandbox.ts`)) as { createSandbox: Make };
  options.unshift({ name: `${process.env.SANDBOX_COMPARE} (its defaults)`.slice(-32), opts: {}, make: other.createSandbox });
}

/** A failed run (a timeout, a refused result) is not the cost of a run: any one stops the bench. */
async function runOk(sandbox: ReturnType<typeof createSandbox>, one: SandboxInput) {
  const r = await sandbox.run(one);
  if (!r.ok) throw new Error(`the bench transformation failed: ${r.error.message}`);
  return r;
}

async function throughput(opts: SandboxOptions, callers: number, total: number, make: Make = createSandbox): Promise<{ perSecond: number; cpuUs: number }> {
  const sandbox = make({ threads, ...opts });
  try {
    let warm = 500;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (warm-- > 0) await runOk(sandbox, input);
      }),
    );
    let left = total;
    const cpu = process.cpuUsage();
    const t = performance.now();
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (left-- > 0) await runOk(sandbox, input);
      }),
    );
    const s = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    return { perSecond: total / s, cpuUs: (used.user + used.system) / total };
  } finally {
    await sandbox.close();
  }
}

console.log(`\n2. the sandbox's options, 50 callers, 4000 runs each, ${rounds} alternating rounds (runs/s; CPU µs per run, all threads):`);
const seen = new Map<string, string[]>();
for (let round = 0; round < rounds; round++) {
  for (const { name, opts, make } of options) {
    const { perSecond, cpuUs } = await throughput(opts, 50, 4000, make);
    seen.set(name, [...(seen.get(name) ?? []), `${perSecond.toFixed(0)}/s ${cpuUs.toFixed(0)} µs`]);
  }
}
for (const { name } of options) console.log(`  ${name.padEnd(32)} ${(seen.get(name) ?? []).join('   ')}`);

// ---- 3. One at a time, default options --------------------------------------------------------------
const sandbox = createSandbox({ threads });
const first = performance.now();
await runOk(sandbox, input);
console.log(`\n3. default options; first run (workers starting): ${(performance.now() - first).toFixed(1)} ms`);
for (let i = 0; i < 300; i++) await runOk(sandbox, input);
const n = 2000;
const quiet: SandboxInput = { ...input, code: code.replace(/console\.log\(.*\);/, '') };
for (const [name, one] of [
  ['with console.log', input],
  ['without console.log', quiet],
] as const) {
  const latency: number[] = [];
  const inside: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await runOk(sandbox, one);
    latency.push(performance.now() - t);
    inside.push(r.duration_ms);
  }
  console.log(
    `  one at a time, ${n} runs ${name}: latency p50 ${percentile(latency, 50).toFixed(2)} ms, p99 ${percentile(latency, 99).toFixed(2)} ms; inside the worker p50 ${percentile(inside, 50).toFixed(2)} ms, p99 ${percentile(inside, 99).toFixed(2)} ms`,
  );
}
await sandbox.close();
