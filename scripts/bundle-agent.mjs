#!/usr/bin/env node
// node scripts/bundle-agent.mjs OUTFILE
//
// Bundles src/agent/main.ts and its dependencies into one minified CommonJS
// file for the Pi (called by scripts/build-pi.sh). Beyond plain esbuild:
//
// - node-cron 4 and yargs 17 reach their ESM builds, which read
//   import.meta.url at load time; in CommonJS output import.meta is empty, so
//   it is replaced by the bundle's own file URL (inside a single executable,
//   __filename is the executable).
// - A dynamic import() becomes a require() when it runs: a single executable
//   cannot import(), and what is loaded only when needed stays unloaded.
// - Node modules that the agent needs rarely or never (TLS and crypto for
//   brokers with TLS or SASL, assert for failed checks), and the yaml
//   package (--config files), are loaded when one of their exports is first
//   used, not when the bundle starts: each costs
//   the agent's RSS its source, its compiled code and its objects for as
//   long as it runs (docs/PERFORMANCE.md).
// - pino's transports, which start worker threads, are not bundled: the
//   agent logs JSON lines to stdout from its main thread.
// - Minified, without --keep-names: the agent keeps its source in memory for
//   V8 to compile functions lazily, so its size is resident, and
//   --keep-names defines .name on every closure as it is created, per sample
//   and per request (docs/PERFORMANCE.md); errors log their own names
//   (src/log.ts).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Node modules loaded on first use; their export names are read from this Node. */
const LAZY_BUILTINS = ['assert', 'crypto', 'tls'];
/** Bundled packages initialised on first use: yaml reads --config files only. */
const LAZY_PACKAGES = ['yaml'];

/** A class, or a function with methods on its prototype: `instanceof` and `extends` need the real one. */
const isClassLike = (value) =>
  /^class\b/.test(Function.prototype.toString.call(value)) || (value.prototype !== undefined && Object.getOwnPropertyNames(value.prototype).length > 1);

/**
 * A CommonJS module standing for a module, which it loads on first use:
 * a function that forwards its calls for each plain function the module
 * exports (so that code which picks them up as it loads loads nothing), a
 * getter for every other export. A module that is itself a function (assert)
 * is stood for by a function that forwards its calls.
 */
function lazyModuleSource(specifier) {
  const real = require(specifier);
  const lines = ['let real;', `const load = () => (real ??= require(${JSON.stringify(specifier)}));`];
  lines.push(typeof real === 'function' ? 'module.exports = function (...args) { return load().apply(this, args); };' : 'module.exports = {};');
  for (const key of Object.keys(real).filter((k) => k !== 'default')) {
    const k = JSON.stringify(key);
    const value = real[key];
    lines.push(
      typeof value === 'function' && !isClassLike(value)
        ? `module.exports[${k}] = function (...args) { return load()[${k}].apply(this, args); };`
        : `Object.defineProperty(module.exports, ${k}, { enumerable: true, get: () => load()[${k}] });`,
    );
  }
  return lines.join('\n');
}

/**
 * Stands the modules above in with lazyModuleSource. The stand-in's own
 * require() resolves as usual: Node's module stays external, the package is
 * bundled, and either is first run when the stand-in loads it.
 */
const lazyModules = {
  name: 'lazy-modules',
  setup(build) {
    const filter = new RegExp(`^((node:)?(${LAZY_BUILTINS.join('|')})|${LAZY_PACKAGES.join('|')})$`);
    build.onResolve({ filter }, (args) => {
      if (args.namespace === 'lazy-module') return undefined;
      const name = args.path.replace(/^node:/, '');
      return { path: LAZY_BUILTINS.includes(name) ? `node:${name}` : name, namespace: 'lazy-module' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-module' }, (args) => ({ contents: lazyModuleSource(args.path), loader: 'js', resolveDir: root }));
  },
};

const noPinoTransports = {
  name: 'no-pino-transports',
  setup(build) {
    build.onResolve({ filter: /^\.\/(lib\/)?transport$/ }, (args) =>
      /[\\/]pino[\\/]/.test(args.importer) ? { path: 'pino-transport', namespace: 'no-pino-transport' } : undefined,
    );
    build.onLoad({ filter: /^pino-transport$/, namespace: 'no-pino-transport' }, () => ({
      contents: `module.exports = function transport() { throw new Error("pino transports are not part of the tower-agent bundle: it logs JSON lines to stdout"); };`,
      loader: 'js',
    }));
    // tools.js reads isMainThread at load, for transports and async
    // destinations; the agent's pino runs only on its main thread.
    build.onResolve({ filter: /^(node:)?worker_threads$/ }, (args) =>
      /[\\/]pino[\\/]lib[\\/]tools\.js$/.test(args.importer) ? { path: 'pino-main-thread', namespace: 'no-pino-transport' } : undefined,
    );
    build.onLoad({ filter: /^pino-main-thread$/, namespace: 'no-pino-transport' }, () => ({
      contents: 'module.exports = { isMainThread: true };',
      loader: 'js',
    }));
  },
};

/**
 * kafkajs' random-bytes helper, for messages without a key, reads
 * globalThis.crypto as it loads, and that loads Node's Web Crypto modules.
 * The same helper, with node:crypto loaded on its first call.
 */
const kafkajsRandomBytesOnDemand = {
  name: 'kafkajs-random-bytes-on-demand',
  setup(build) {
    build.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]producer[\\/]partitioners[\\/]legacy[\\/]randomBytes\.js$/ }, (args) => ({
      contents: [
        "const { KafkaJSNonRetriableError } = require('../../../errors');",
        'const MAX_BYTES = 65536;',
        'module.exports = (size) => {',
        '  if (size > MAX_BYTES) throw new KafkaJSNonRetriableError(`Byte length (${size}) exceeds the max number of bytes of entropy available (${MAX_BYTES})`);',
        "  return require('crypto').randomBytes(size);",
        '};',
      ].join('\n'),
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * yargs checks its own invariants with assert's strictEqual and
 * notStrictEqual on every parse, which would load Node's assert modules at
 * start-up for checks that hold. The two with Node's test (Object.is) and
 * error code.
 */
const yargsAssert = {
  name: 'yargs-assert',
  setup(build) {
    build.onResolve({ filter: /^(node:)?assert$/ }, (args) =>
      /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]/.test(args.importer) ? { path: 'yargs-assert', namespace: 'yargs-assert' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'yargs-assert' }, () => ({
      contents: [
        'const fail = (message, otherwise) => {',
        '  if (message instanceof Error) throw message;',
        "  throw Object.assign(new Error(message ?? otherwise), { code: 'ERR_ASSERTION' });",
        '};',
        'exports.strictEqual = (actual, expected, message) => {',
        '  if (!Object.is(actual, expected)) fail(message, `Expected values to be strictly equal: ${actual} !== ${expected}`);',
        '};',
        'exports.notStrictEqual = (actual, expected, message) => {',
        '  if (Object.is(actual, expected)) fail(message, `Expected "actual" to be strictly unequal to: ${expected}`);',
        '};',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

async function main() {
  const outfile = process.argv[2];
  if (!outfile) throw new Error('usage: node scripts/bundle-agent.mjs OUTFILE');
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['src/agent/main.ts'],
    bundle: true,
    minify: true,
    outfile,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    legalComments: 'none',
    logLevel: 'warning',
    // esbuild hides this warning for code in node_modules: any import.meta
    // use beyond .url (dirname, resolve) would be empty in CommonJS.
    logOverride: { 'empty-import-meta': 'warning' },
    supported: { 'dynamic-import': false },
    // Strict mode is declared first: esbuild's own "use strict" comes after the banner, too late to count.
    banner: { js: '"use strict";\nconst importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': 'importMetaUrl' },
    plugins: [yargsAssert, lazyModules, noPinoTransports, kafkajsRandomBytesOnDemand],
  });
}

main().catch((err) => {
  console.error(`[build:pi] ERROR: bundling the agent failed: ${err.message}`);
  process.exit(1);
});
