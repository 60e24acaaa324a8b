// `npm run lint:deps`: dependency-cruiser with the rules in .dependency-cruiser.cjs, over the server, shared/, the connectors and
// the portal. Extra arguments go to dependency-cruiser (`npm run lint:deps -- -T dot`).
//
// dependency-cruiser 16 (17 and later refuse Node 20) parses .ts and .tsx with the TypeScript 5 compiler API. The
// project compiles with TypeScript 7, which offers no such API, and dependency-cruiser then skips every TypeScript file
// without a word (13 modules instead of 400). So, for dependency-cruiser alone, `typescript` resolves to the 5.x
// installed for it in tools/typescript-for-depcruise. It checks the version with require() and loads the compiler with
// import(), hence both the CommonJS resolver and an ES module resolve hook.
import fs from 'node:fs';
import Module, { register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const typescript5 = path.join(root, 'tools/typescript-for-depcruise/node_modules/typescript');
const inCruiser = (file) => file.includes('/node_modules/dependency-cruiser/');
if (!fs.existsSync(path.join(typescript5, 'lib/typescript.js'))) {
  console.error(`lint:deps: ${path.relative(root, typescript5)} is missing; run npm ci (without it no .ts file would be read).`);
  process.exit(2);
}

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const redirect = inCruiser(parent?.filename ?? '') && (request === 'typescript' || request.startsWith('typescript/'));
  return resolveFilename.call(this, redirect ? typescript5 + request.slice('typescript'.length) : request, parent, ...rest);
};

const compiler = pathToFileURL(path.join(typescript5, 'lib/typescript.js')).href;
register(
  `data:text/javascript,${encodeURIComponent(`
  export async function resolve(specifier, context, next) {
    const fromCruiser = context.parentURL?.includes('/node_modules/dependency-cruiser/');
    return next(fromCruiser && specifier === 'typescript' ? ${JSON.stringify(compiler)} : specifier, context);
  }`)}`,
);

process.chdir(root);
process.argv = [...process.argv.slice(0, 2), '--config', '.dependency-cruiser.cjs', ...process.argv.slice(2), 'server', 'shared', 'connectors', 'web'];
await import(pathToFileURL(path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs')).href);
