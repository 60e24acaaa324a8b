import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUILTIN_EVENT_TYPES } from './event-catalogue.ts';

/**
 * The Zapier app (connectors/zapier/app) is plain CommonJS pushed to Zapier on its own, so it cannot
 * import this catalogue; it gets a generated copy of each built-in type's group and sample instead.
 * `npm run zapier:catalogue` rewrites the copy; test/zapier-app.test.ts fails while it is stale.
 */
export const ZAPIER_CATALOGUE_FILE = fileURLToPath(new URL('../../connectors/zapier/app/lib/catalogue.js', import.meta.url));

/**
 * The earlier type whose sample this one extends: every one of its entries is here too, and at
 * least half of them with the same value (deal.updated is deal.created with a new value and
 * changed_fields). Emitted as a spread of it, so the generated file does not repeat the shared sample.
 */
function baseOf(sample: Record<string, unknown>, earlier: [string, Record<string, unknown>][]): string | undefined {
  let best: { name: string; same: number } | undefined;
  for (const [name, base] of earlier) {
    const keys = Object.keys(base);
    if (!keys.every((k) => k in sample)) continue;
    const same = keys.filter((k) => JSON.stringify(base[k]) === JSON.stringify(sample[k])).length;
    if (same * 2 >= keys.length && same > (best?.same ?? 0)) best = { name, same };
  }
  return best?.name;
}

const indented = (value: unknown, depth: number) => JSON.stringify(value, null, 2).replace(/\n/g, `\n${'  '.repeat(depth)}`);

export function zapierCatalogue(): string {
  const lines: string[] = [];
  const earlier: [string, Record<string, unknown>][] = [];
  for (const t of BUILTIN_EVENT_TYPES) {
    const base = baseOf(t.sample, earlier);
    const baseSample = base === undefined ? undefined : (earlier.find(([n]) => n === base)?.[1] ?? {});
    // With a base, only the entries that differ from it (its order is kept: a spread's overrides stay in place).
    const own = baseSample ? Object.entries(t.sample).filter(([k, v]) => JSON.stringify(baseSample[k]) !== JSON.stringify(v)) : Object.entries(t.sample);
    const entries = [
      ...(base === undefined ? [] : [`...types[${JSON.stringify(base)}].sample`]),
      ...own.map(([k, v]) => `${JSON.stringify(k)}: ${indented(v, 2)}`),
    ];
    lines.push(`types[${JSON.stringify(t.name)}] = {`, `  group: ${JSON.stringify(t.group)},`, '  sample: {', ...entries.map((e) => `    ${e},`), '  },', '};');
    earlier.push([t.name, t.sample]);
  }
  return [
    "'use strict';",
    '',
    '// Generated from server/publish/event-catalogue.ts by `npm run zapier:catalogue`: do not edit by hand.',
    "// Each built-in event type's group and the sample of its data, by name; a sample that extends an",
    "// earlier one (deal.updated, deal.created's) spreads it and lists what differs.",
    'const types = {};',
    ...lines,
    'module.exports = types;',
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(ZAPIER_CATALOGUE_FILE, zapierCatalogue());
  console.log(`wrote ${ZAPIER_CATALOGUE_FILE}`);
}
