/**
 * What a transformation run costs through the sandbox: one small transformation (headers, body
 * and path rewritten, one console.log), as the delivery engine would call it.
 *
 *   npm run bench:sandbox            (SANDBOX_THREADS=1 to measure one worker)
 *
 * Prints the caller's latency one run at a time (p50/p99: thread hop, fresh QuickJS runtime and
 * context, the run, the answer back), the time inside the worker, and runs/s with many callers.
 */
import { performance } from 'node:perf_hooks';
import { createSandbox, type SandboxInput } from '../server/transformations/sandbox.ts';
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
  request: {
    headers: { 'content-type': 'application/json', 'user-agent': 'bench' },
    body: { order_id: 'ord_123', customer: { email: 'Jane@Example.com' }, items: [{ price: 10, qty: 2 }, { price: 5.5, qty: 1 }] },
    query: { source: 'shop' },
    path: '/webhooks/orders',
  },
};

const threads = process.env.SANDBOX_THREADS ? Number(process.env.SANDBOX_THREADS) : undefined;
const sandbox = createSandbox({ threads });

const first = performance.now();
// A failed run (a timeout, a refused result) is not the cost of a run: any one stops the bench.
async function runOk(one: SandboxInput) {
  const r = await sandbox.run(one);
  if (!r.ok) throw new Error(`the bench transformation failed: ${r.error.message}`);
  return r;
}
await runOk(input);
console.log(`first run (workers starting): ${(performance.now() - first).toFixed(1)} ms`);
for (let i = 0; i < 300; i++) await runOk(input);

const n = 2000;
const quiet: SandboxInput = { ...input, code: code.replace(/console\.log\(.*\);/, '') };
for (const [name, one] of [['with console.log', input], ['without console.log', quiet]] as const) {
  const latency: number[] = [];
  const inside: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await runOk(one);
    latency.push(performance.now() - t);
    inside.push(r.duration_ms);
  }
  console.log(`one at a time, ${n} runs ${name}: latency p50 ${percentile(latency, 50).toFixed(2)} ms, p99 ${percentile(latency, 99).toFixed(2)} ms; inside the worker p50 ${percentile(inside, 50).toFixed(2)} ms, p99 ${percentile(inside, 99).toFixed(2)} ms`);
}

for (const callers of [8, 50]) {
  const total = 4000;
  let left = total;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (left-- > 0) await runOk(input);
    }),
  );
  const s = (performance.now() - t) / 1000;
  console.log(`${callers} callers, ${total} runs: ${(total / s).toFixed(0)} runs/s`);
}
await sandbox.close();
