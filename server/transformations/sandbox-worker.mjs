// One piscina worker thread of the transformation sandbox (server/transformations/sandbox.ts).
//
// Plain JavaScript on purpose: piscina imports this file inside a worker thread, where neither
// vitest's transform nor (unless the worker is given `--import tsx`) the tsx loader applies. A
// `.mjs` loads natively under `node --import tsx`, vitest and plain node alike, and the pool can
// start its workers with no loader at all (faster boot, less memory per thread).
//
// User code runs in QuickJS compiled to WebAssembly: it sees only what we put in its global object
// (addHandler, env, console), and its memory is the WebAssembly memory we hand the engine.
import { performance } from 'node:perf_hooks';
import { workerData } from 'node:worker_threads';
import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC } from 'quickjs-emscripten';

const { timeoutMs, memoryMiB, maxJsonDepth, reuseRuntime } = workerData;

const PAGE = 64 * 1024;
/** What the engine itself occupies before any user code (its data, C stack, free heap to start with). */
const BASE_BYTES = 16 * 1024 * 1024;
const MAX_OUTPUT_BYTES = 5 * 1024 * 1024;
const MAX_LOGS = 100;
const MAX_LOG_CHARS = 4096;
/** Recursion depth stays well inside a worker's 4 MB native stack (wasm frames live on it too). */
const MAX_STACK_BYTES = 512 * 1024;

/**
 * QuickJS's own memory limit is not a byte cap in this build: under Emscripten it cannot read a
 * block's size and counts 8 bytes per allocation, so a few big strings go straight through it. The
 * real cap is the WebAssembly memory: malloc fails past its end and QuickJS throws "out of memory".
 * It is created at its full size and never grows: quickjs-emscripten reads some results through
 * typed arrays made before the call, and a growth during the call detaches them (executePendingJobs
 * then wraps a bogus context pointer and leaks a whole context — seen with a 4 MB result). Pages
 * the engine never touches are never backed by RAM. One module (and memory) serves every run of this
 * worker; runs are sequential and each run's runtime is freed before the next, so every run gets the
 * whole cap.
 *
 * Emscripten asks the memory to grow whenever malloc runs out of room; at full size that can only
 * fail, so the request itself is how a run learns it hit the cap (`outOfMemory`) — even when QuickJS
 * had no memory left to build its "out of memory" error and threw null instead.
 */
async function loadEngine() {
  const pages = (BASE_BYTES + memoryMiB * 1024 * 1024) / PAGE;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  // runtime: a clean runtime kept for the next run (reuseRuntime), kept: the last one kept, runs: how many it served.
  const loaded = { quickjs: null, outOfMemory: false, runtime: null, kept: null, runs: 0 };
  memory.grow = () => {
    loaded.outOfMemory = true;
    throw new RangeError('the sandbox memory is at its cap');
  };
  loaded.quickjs = await newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmMemory: memory }));
  return loaded;
}

let engine = await loadEngine();
/** Whether this engine has run once already. */
let warm = false;

// Runs inside QuickJS before the user's code, on every run (a fresh context each time), so it is
// kept small: compiling it was most of a run's cost (~4.4 kB, over half the engine time of a small
// run). What only some runs need is compiled by the run that needs it, from source the host hands
// over then (copying it in costs too): console's formatter (a log line with more than strings and
// numbers; hostLog('formatter') answers its source) and describeError (a run that fails). It captures the built-ins it relies on, so user code that replaces JSON or Object
// methods only spoils its own result (which the host checks again).
// biome-ignore lint/complexity/noUselessStringRaw: raw, so a backslash added to this source reaches QuickJS as written.
const BOOTSTRAP = String.raw`(function (hostLog, envJson) {
  'use strict';
  const env = JSON.parse(envJson);
  const stringify = JSON.stringify, parse = JSON.parse, getProto = Object.getPrototypeOf, ObjectProto = Object.prototype;
  const hasOwn = Function.prototype.call.bind(Object.prototype.hasOwnProperty);
  const isArray = Array.isArray, StringOf = String, ErrorClass = Error, FunctionCtor = Function, assign = Object.assign;
  let handler = null, logged = 0, format = null, describe = null;

  function level(name) {
    return function () {
      // One past the cap still reaches the host, which turns it into the "…truncated" entry.
      if (logged++ > ${MAX_LOGS}) return;
      // Strings (no % directive in the first), numbers, booleans, null and undefined print as the
      // formatter would print them; anything else compiles the formatter, once per run.
      let out = '';
      for (let i = 0; i < arguments.length && out.length <= ${MAX_LOG_CHARS}; i++) {
        const a = arguments[i], t = typeof a;
        if (t === 'string' ? i === 0 && a.indexOf('%') >= 0 : t !== 'number' && t !== 'boolean' && a !== null && a !== undefined) {
          if (format === null) format = new FunctionCtor('stringify', 'StringOf', 'ErrorClass', 'MAX_CHARS', hostLog('formatter'))(stringify, StringOf, ErrorClass, ${MAX_LOG_CHARS});
          out = format(arguments);
          break;
        }
        out += (i === 0 ? '' : ' ') + StringOf(a);
      }
      hostLog(name, out.slice(0, ${MAX_LOG_CHARS} + 1));
    };
  }
  globalThis.console = { log: level('log'), info: level('info'), warn: level('warn'), error: level('error'), debug: level('debug') };
  globalThis.env = env;
  globalThis.addHandler = function addHandler(name, fn) {
    if (name !== 'transform') throw new TypeError('addHandler: unknown handler "' + StringOf(name) + '" (only "transform" exists)');
    if (typeof fn !== 'function') throw new TypeError('addHandler: the "transform" handler must be a function');
    handler = fn;
  };

  function kindOf(v) {
    if (v === null) return 'null';
    if (isArray(v)) return 'an array';
    if (typeof v === 'undefined') return 'undefined';
    if (typeof v !== 'object') return 'a ' + typeof v;
    const proto = getProto(v);
    if (proto === ObjectProto || proto === null) return 'object';
    const name = proto.constructor && proto.constructor.name;
    return name ? 'a ' + name + ' instance' : 'a non-plain object';
  }

  // The answer is always a JSON string the host parses: {kind:'ok', has, kinds, value} | {kind:'bad', got} |
  // {kind:'no-handler'} | {kind:'unserializable', message}. A throw or rejection means THREW.
  async function run(inputJson) {
    if (handler === null) return stringify({ kind: 'no-handler' });
    const input = parse(inputJson);
    const out = await handler(input.request, assign({ env: env }, input.context));
    const kind = kindOf(out);
    if (kind !== 'object') return stringify({ kind: 'bad', got: kind });
    const has = { headers: hasOwn(out, 'headers'), body: hasOwn(out, 'body'), query: hasOwn(out, 'query'), path: hasOwn(out, 'path') };
    const value = { headers: out.headers, body: out.body === undefined ? null : out.body, query: out.query, path: out.path };
    const kinds = { headers: kindOf(value.headers), query: kindOf(value.query), path: kindOf(value.path) };
    try {
      return stringify({ kind: 'ok', has: has, kinds: kinds, value: value });
    } catch (e) {
      return stringify({ kind: 'unserializable', message: StringOf(e && e.message) });
    }
  }

  function describeError(e, source) {
    if (describe === null) describe = new FunctionCtor('stringify', 'StringOf', 'ErrorClass', source)(stringify, StringOf, ErrorClass);
    return describe(e);
  }

  return { run: run, describeError: describeError };
})`;

// The body of describeError (compiled in QuickJS by a run that failed): {name, message, first stack
// frame, first frame in the user's code} as JSON, whatever was thrown.
const DESCRIBE_ERROR = String.raw`
  return function describeError(e) {
    try {
      if (e instanceof ErrorClass) {
        const frames = typeof e.stack === 'string' ? e.stack.split('\n').map(function (l) { return l.trim(); }) : [];
        const inCode = frames.filter(function (l) { return l.indexOf('transformation.js:') >= 0; })[0] || '';
        return stringify({ name: StringOf(e.name), message: StringOf(e.message), first: frames[0] || '', at: inCode });
      }
      let shown = typeof e === 'string' ? e : undefined;
      try { if (shown === undefined) shown = stringify(e); } catch (x) { shown = undefined; }
      return stringify({ name: '', message: shown === undefined ? StringOf(e) : shown, first: '', at: '' });
    } catch (x) {
      return stringify({ name: '', message: 'a value that cannot be shown was thrown', first: '', at: '' });
    }
  };
`;

// The body of console's formatter (compiled in QuickJS by the first console call of a run). Roughly
// Node's util.format: %s %d %i %f %j %o %O %% in a leading string, strings bare, the rest inspected
// (JSON with [Circular], functions, bigints and errors shown), joined by spaces, cut past MAX_CHARS.
const FORMATTER = String.raw`
  function inspect(v, top) {
    if (typeof v === 'string') return top ? v : stringify(v);
    if (v === undefined) return 'undefined';
    if (typeof v === 'function') return '[Function: ' + (v.name || '(anonymous)') + ']';
    if (typeof v === 'bigint') return StringOf(v) + 'n';
    if (typeof v === 'symbol') return v.toString();
    if (v instanceof ErrorClass) return v.stack ? v.name + ': ' + v.message + '\n' + v.stack.trimEnd() : v.name + ': ' + v.message;
    if (v === null || typeof v !== 'object') return StringOf(v);
    const seen = [];
    try {
      return stringify(v, function (k, x) {
        if (typeof x === 'bigint') return StringOf(x) + 'n';
        if (typeof x === 'function') return '[Function: ' + (x.name || '(anonymous)') + ']';
        if (x === undefined && k !== '') return 'undefined';
        if (x !== null && typeof x === 'object') { if (seen.indexOf(x) >= 0) return '[Circular]'; seen.push(x); }
        return x;
      });
    } catch (e) { return StringOf(v); }
  }
  return function format(args) {
    let out = '', i = 0;
    if (typeof args[0] === 'string' && args[0].indexOf('%') >= 0) {
      const f = args[0]; i = 1;
      for (let p = 0; p < f.length; p++) {
        const c = f[p];
        if (c !== '%' || p + 1 >= f.length) { out += c; continue; }
        const t = f[p + 1];
        if (t === '%') { out += '%'; p++; continue; }
        if ('sdifjoO'.indexOf(t) < 0 || i >= args.length) { out += c; continue; }
        const a = args[i++]; p++;
        out += t === 's' ? (typeof a === 'string' ? a : inspect(a, false))
          : t === 'd' || t === 'i' ? StringOf(t === 'i' ? parseInt(a) : Number(a))
          : t === 'f' ? StringOf(parseFloat(a))
          : inspect(a, false);
        if (out.length > MAX_CHARS) return out;
      }
    }
    for (; i < args.length; i++) {
      out += (i === 0 ? '' : ' ') + inspect(args[i], true);
      if (out.length > MAX_CHARS) return out;
    }
    return out;
  };
`;

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Whether JSON text nests deeper than `limit` (brackets inside strings do not count): one pass, no
 * parse. The copy of jsonTextNestsDeeper (server/core/json-depth.ts) that this plain-JavaScript
 * worker can load. The request and the result are wrapped two levels deep in what crosses here.
 */
function nestsDeeper(text, limit) {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
const WRAPPING_DEPTH = 2;

/**
 * The parts of the request the handler returned, checked on the host side (the in-engine checks
 * are a courtesy). Parts it left out are not in `patch`: the caller keeps the original ones.
 */
function checkResult(answer) {
  if (answer === null || typeof answer !== 'object') return { bad: 'the handler returned something unreadable' };
  if (answer.kind === 'no-handler')
    return { code: 'NO_HANDLER', message: 'no "transform" handler was registered: call addHandler("transform", (request, context) => request)' };
  if (answer.kind === 'bad') return { bad: `the handler returned ${answer.got}; it must return an object like the request ({headers, body, query, path})` };
  if (answer.kind === 'unserializable') return { bad: `the result cannot be turned into JSON: ${answer.message}` };
  if (answer.kind !== 'ok') return { bad: 'the handler returned something unreadable' };
  const { has, value, kinds } = answer;
  const patch = {};
  if (has.headers && value.headers !== undefined) {
    if (!isPlainObject(value.headers)) return { bad: `headers must be an object of strings (got ${kinds.headers})` };
    for (const [name, v] of Object.entries(value.headers)) {
      if (typeof v !== 'string') return { bad: `headers.${name} must be a string (got ${describeJson(v)})` };
      if (!HEADER_NAME.test(name)) return { bad: `headers: "${name}" is not a valid header name` };
      if (/[\r\n\0]/.test(v)) return { bad: `headers.${name} must not contain line breaks` };
    }
    patch.headers = value.headers;
  }
  if (has.body) patch.body = value.body === undefined ? null : value.body;
  if (has.query && value.query !== undefined) {
    if (!isPlainObject(value.query)) return { bad: `query must be an object (got ${kinds.query})` };
    patch.query = value.query;
  }
  if (has.path && value.path !== undefined) {
    if (typeof value.path !== 'string') return { bad: `path must be a string (got ${kinds.path})` };
    if (!value.path.startsWith('/')) return { bad: `path must start with "/" (got "${value.path.slice(0, 100)}")` };
    patch.path = value.path;
  }
  return { patch };
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function describeJson(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** " (line 3, column 5)" from a frame like "transformation.js:3:5", when the error points into the user's code. */
function whereInCode(at) {
  const m = /transformation\.js:(\d+)(?::(\d+))?/.exec(at ?? '');
  return m ? ` (line ${m[1]}${m[2] ? `, column ${m[2]}` : ''})` : '';
}

/**
 * The QuickJS runtime a run gets. Without reuse, each run has its own, freed when it ends. With
 * reuse, a runtime that ended its last run cleanly serves the next one (a fresh context in it
 * each time), and one that did not is freed instead; the interrupt handler reads the current run's
 * deadline from `limits`.
 */
const limits = { deadline: 0, interrupted: false };
function newRuntime(quickjs) {
  const runtime = quickjs.newRuntime();
  // Allocation count only (see loadEngine); kept so a build that can measure blocks enforces it too.
  runtime.setMemoryLimit(memoryMiB * 1024 * 1024);
  runtime.setMaxStackSize(MAX_STACK_BYTES);
  // QuickJS asks every ~10,000 operations; once past the deadline it keeps saying yes, so nothing
  // the host calls afterwards (an error's getter, a proxy trap) can run on.
  runtime.setInterruptHandler(() => {
    if (limits.interrupted || Date.now() > limits.deadline) limits.interrupted = true;
    return limits.interrupted;
  });
  return runtime;
}
/** A reused runtime serves at most this many runs: what it keeps between them (atoms, shapes) stays small. */
const RUNS_PER_RUNTIME = 1000;

/**
 * One run: a fresh QuickJS context (so runs cannot see each other) in a fresh or clean runtime,
 * the deadline as QuickJS's interrupt handler, and every handle disposed before the answer
 * leaves. Never throws for user-code reasons; host-level failures of the engine rebuild it for
 * the next run.
 */
function runInEngine(task, started) {
  const current = engine;
  const { quickjs } = current;
  current.outOfMemory = false;
  const logs = [];
  let truncated = false;
  limits.deadline = Date.now() + timeoutMs;
  limits.interrupted = false;
  const fail = (code, message) => ({ ok: false, error: { code, message }, logs, duration_ms: performance.now() - started });
  const outOfMemory = () => fail('MEMORY', `the transformation ran out of memory (${memoryMiB} MiB)`);
  // Checked here, off the host's event loop. A deep result would overflow the host's JSON.stringify
  // and structured clone later, where it would read as the destination's failure.
  if (nestsDeeper(task.inputJson, maxJsonDepth + WRAPPING_DEPTH))
    return fail('TOO_DEEP', `the request given to the transformation nests deeper than ${maxJsonDepth} levels`);

  const runtime = current.runtime ?? newRuntime(quickjs);
  current.runtime = null;
  current.runs = runtime === current.kept ? current.runs + 1 : 1;
  const vm = runtime.newContext();
  const handles = [];
  const keep = (h) => (handles.push(h), h);
  let broken = false;
  let out;

  /** Classifies an error handle from the engine; `compiling` is true for the evaluation of the user's code. */
  const failure = (errorHandle, compiling) => {
    if (limits.interrupted) return fail('TIMEOUT', `the transformation did not finish within ${timeoutMs} ms`);
    let info = null;
    const described = vm.callFunction(describeError, vm.undefined, errorHandle, keep(vm.newString(DESCRIBE_ERROR)));
    if (described.error) described.error.dispose();
    else {
      try {
        info = JSON.parse(vm.getString(described.value));
      } catch {
        info = null;
      }
      described.value.dispose();
    }
    if (limits.interrupted) return fail('TIMEOUT', `the transformation did not finish within ${timeoutMs} ms`);
    if (info && info.name === 'InternalError' && info.message === 'out of memory') return outOfMemory();
    // Past the cap QuickJS may throw null (no room for an error object), or not be able to describe.
    if (current.outOfMemory && (!info || info.message === 'null')) return outOfMemory();
    if (!info) return fail('THREW', 'the transformation threw a value that cannot be shown');
    // A compile error's stack has no frame ("at transformation.js:3:5"); a SyntaxError thrown while
    // running (JSON.parse, new RegExp) has one ("at parse (native)").
    if (compiling && info.name === 'SyntaxError' && /^at transformation\.js:/.test(info.first))
      return fail('SYNTAX', `SyntaxError: ${info.message}${whereInCode(info.at)}`);
    const text = info.name ? `${info.name}: ${info.message}` : info.message;
    return fail('THREW', `${text}${whereInCode(info.at)}`);
  };

  let describeError;
  const body = () => {
    const hostLog = keep(
      vm.newFunction('hostLog', (levelHandle, messageHandle) => {
        if (messageHandle === undefined) return vm.newString(FORMATTER);
        if (logs.length >= MAX_LOGS) {
          if (!truncated) logs.push({ level: 'warn', message: '…truncated', at_ms: performance.now() - started });
          truncated = true;
          return;
        }
        const message = vm.getString(messageHandle);
        logs.push({
          level: vm.getString(levelHandle),
          message: message.length > MAX_LOG_CHARS ? `${message.slice(0, MAX_LOG_CHARS - 1)}…` : message,
          at_ms: performance.now() - started,
        });
      }),
    );
    const factory = keep(vm.unwrapResult(vm.evalCode(BOOTSTRAP, 'wirehub-bootstrap.js')));
    const api = keep(vm.unwrapResult(vm.callFunction(factory, vm.undefined, hostLog, keep(vm.newString(task.envJson)))));
    const run = keep(vm.getProp(api, 'run'));
    describeError = keep(vm.getProp(api, 'describeError'));

    const evaluated = vm.evalCode(task.code, 'transformation.js');
    if (evaluated.error) return failure(keep(evaluated.error), true);
    keep(evaluated.value);
    // Promise jobs the top level queued (even an addHandler inside one) run before the handler is looked up.
    const topJobs = runtime.executePendingJobs();
    if (topJobs.error) return failure(keep(topJobs.error), false);

    const called = vm.callFunction(run, vm.undefined, keep(vm.newString(task.inputJson)));
    if (called.error) return failure(keep(called.error), false);
    const promise = keep(called.value);
    for (;;) {
      const state = vm.getPromiseState(promise);
      if (state.type === 'fulfilled') {
        const answerHandle = keep(state.value);
        const json = vm.getString(answerHandle);
        if (Buffer.byteLength(json, 'utf8') > MAX_OUTPUT_BYTES)
          return fail('TOO_LARGE', `the transformed request is larger than ${MAX_OUTPUT_BYTES / 1024 / 1024} MB`);
        if (nestsDeeper(json, maxJsonDepth + WRAPPING_DEPTH)) return fail('TOO_DEEP', `the transformed request nests deeper than ${maxJsonDepth} levels`);
        const checked = checkResult(JSON.parse(json));
        if (checked.code) return fail(checked.code, checked.message);
        if (checked.bad) return fail('BAD_RESULT', checked.bad);
        return { ok: true, patch: checked.patch, logs, duration_ms: performance.now() - started };
      }
      if (state.type === 'rejected') return failure(keep(state.error), false);
      const jobs = runtime.executePendingJobs();
      if (jobs.error) return failure(keep(jobs.error), false);
      if (jobs.value === 0) {
        // Still pending, nothing left to run and no timers exist in here: the promise can never settle.
        return fail('BAD_RESULT', 'the handler returned a promise that never settles (nothing it waits for can happen inside the sandbox)');
      }
    }
  };

  try {
    out = body();
    return out;
  } catch (error) {
    // The engine itself failed (a WebAssembly trap, a broken handle): not trusted for another run.
    broken = true;
    if (limits.interrupted) return fail('TIMEOUT', `the transformation did not finish within ${timeoutMs} ms`);
    if (current.outOfMemory) return outOfMemory();
    return fail('THREW', `the sandbox engine failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (!broken) {
      try {
        for (const h of handles.reverse()) if (h.alive) h.dispose();
        vm.dispose();
        // Kept only after a clean success: a failure may have hit a limit mid-allocation, and jobs
        // the run left queued (a promise chain it started and never awaited) would run in the next.
        if (reuseRuntime && out?.ok && !current.outOfMemory && !limits.interrupted && !runtime.hasPendingJob() && current.runs < RUNS_PER_RUNTIME) {
          current.runtime = runtime;
          current.kept = runtime;
        } else runtime.dispose();
      } catch {
        broken = true;
      }
    }
    if (broken) engine = null;
  }
}

/**
 * task: { items: [{ code, envJson, inputJson }], states: SharedArrayBuffer }. Runs the items in
 * order, one thread hop for all of them (deliveries that arrive together). `states` says, per
 * item, when it started (Float64, Date.now()) and where it is (Int32: 0 waiting, 1 running,
 * 2 withdrawn by the host, 3 done): the host's watchdog reads them, and withdraws an item that
 * waited too long. An item is only started if the host has not withdrawn it (one compare-exchange
 * decides). Past BATCH_BUDGET_MS the rest are handed back unrun (null), so a slow run holds up
 * the others of its batch by at most its own time.
 */
const BATCH_BUDGET_MS = 50;
export default async function runTransformations(task) {
  const n = task.items.length;
  const starts = new Float64Array(task.states, 0, n);
  const states = new Int32Array(task.states, n * 8, n);
  const results = new Array(n).fill(null);
  const began = performance.now();
  for (let i = 0; i < n; i++) {
    if (i > 0 && performance.now() - began > BATCH_BUDGET_MS) break;
    if (engine === null) {
      engine = await loadEngine();
      warm = false;
    }
    starts[i] = Date.now();
    if (Atomics.compareExchange(states, i, 0, 1) !== 0) continue;
    const out = runInEngine(task.items[i], performance.now());
    // The first run of a fresh engine is several times slower (WebAssembly still warming up): the host
    // leaves it out of the team's speed.
    if (!warm) out.cold = true;
    warm = true;
    results[i] = out;
    Atomics.store(states, i, 3);
  }
  return results;
}
