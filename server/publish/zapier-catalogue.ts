import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUILTIN_EVENT_TYPES } from './event-catalogue.ts';

/**
 * The Zapier app (connectors/zapier/app) is plain CommonJS pushed to Zapier on its own, so it cannot
 * import this catalogue; it gets a generated copy of each built-in type's group and sample instead.
 * `npm run zapier:catalogue` rewrites the copy; test/zapier-app.test.ts fails while it is stale.
 */
export const ZAPIER_CATALOGUE_FILE = fileURLToPath(new URL('../../connectors/zapier/app/lib/catalogue.js', import.meta.url));

export function zapierCatalogue(): string {
  const types = Object.fromEntries(BUILTIN_EVENT_TYPES.map((t) => [t.name, { group: t.group, sample: t.sample }]));
  return [
    "'use strict';",
    '',
    '// Generated from server/publish/event-catalogue.ts by `npm run zapier:catalogue`: do not edit by hand.',
    '// Each built-in event type\'s group and the sample of its data, by name.',
    `module.exports = ${JSON.stringify(types, null, 2)};`,
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(ZAPIER_CATALOGUE_FILE, zapierCatalogue());
  console.log(`wrote ${ZAPIER_CATALOGUE_FILE}`);
}
