import type express from 'express';

/** A route as Express serves it: the method and its full path in path-to-regexp syntax (`/sources/:id`). */
export type ServedRoute = { method: string; path: string };

/** What this walker reads of router@2's layers (Express 5): their paths as given, and the sub-router or route. */
type Layer = { rawPath?: string | string[] | RegExp; route?: { path: string | string[]; methods: Record<string, boolean> }; handle: { stack?: Layer[] } };

const join = (base: string, p: string) => (p === '/' ? base || '/' : `${base}${p}`).replace(/\/{2,}/g, '/');

/**
 * Every method + path an Express app answers, found by walking its routers' stacks: a mount
 * (`app.use(['/a', '/b'], router)`) multiplies the paths of the routes below it. A layer whose
 * path is a RegExp cannot be named; it fails loudly rather than being skipped.
 */
export function expressRoutes(app: express.Express): ServedRoute[] {
  const out: ServedRoute[] = [];
  const walk = (stack: Layer[], bases: string[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const base of bases)
          for (const p of paths)
            for (const [method, on] of Object.entries(layer.route.methods))
              if (on && method !== '_all') out.push({ method: method.toUpperCase(), path: join(base, p) });
        continue;
      }
      const sub = layer.handle.stack;
      if (!sub) continue;
      const raw = layer.rawPath ?? '/';
      if (raw instanceof RegExp) throw new Error(`a router is mounted at ${raw}, which cannot be listed`);
      const mounts = Array.isArray(raw) ? raw : [raw];
      walk(
        sub,
        bases.flatMap((b) => mounts.map((m) => join(b, m === '/' ? '' : m))),
      );
    }
  };
  const router = (app as unknown as { router: { stack: Layer[] } }).router;
  walk(router.stack, ['']);
  const seen = new Set<string>();
  return out.filter((r) => (seen.has(`${r.method} ${r.path}`) ? false : (seen.add(`${r.method} ${r.path}`), true)));
}
