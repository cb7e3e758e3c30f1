/**
 * `npm run build` (also `prepack`): compiles the `autopilot` CLI to plain JavaScript in dist/, so
 * the installed package runs on Node with its production dependencies only (no tsx).
 *
 * Per-file transpile that keeps the source layout (dist/bin, dist/emulator, dist/lib, ...), not
 * one bundle: the code reads files next to itself at run time through `new URL(..., import.meta.url)`
 * (emulator/models/*.service.json, statemachines/*.asl.json), and the CLI loads each command
 * lazily so the emulator process never carries the pipeline runtime (bench/emulator.ts). Keeping
 * the layout keeps both true without touching the sources.
 *
 * The source imports are extensionless (`moduleResolution: Bundler`), which Node's ESM loader does
 * not resolve, so `tsc` output would not run as is. esbuild compiles each file on its own (every
 * import external) and rewrites each relative import to the compiled `.js` file it resolves to
 * (`./model` → `./model.js`, `./dir` → `./dir/index.js`). Only the files reachable from
 * bin/autopilot.ts (and the two modules bin/autopilot.mjs loads first) are compiled (followed from the imports, static and `import('...')`), so dist/
 * holds what runs and nothing that needs a devDependency.
 *
 * Checks that fail the build: an import of a package that is not a production dependency, and a
 * `new URL('<literal>', import.meta.url)` whose file is missing from dist/.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist');
/** The CLI, and what bin/autopilot.mjs loads before it. */
const ENTRIES = ['bin/autopilot.ts', 'lib/util/node-warnings.ts', 'local/polyfill.ts'].map((f) =>
  join(ROOT, f),
);
/** Data the compiled code reads at run time, copied to the same place relative to it. */
const ASSETS: Array<{ from: string; to: string; keep: (file: string) => boolean }> = [
  { from: 'emulator/models', to: 'emulator/models', keep: (f) => f.endsWith('.json') },
  { from: 'statemachines', to: 'statemachines', keep: (f) => f.endsWith('.asl.json') },
];
/** The Node version the output must run on: package.json `engines`. */
const TARGET = 'node20';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
};
const productionDeps = new Set(Object.keys(pkg.dependencies ?? {}));
const builtins = new Set(builtinModules);

const toOut = (source: string) => join(OUT, relative(ROOT, source)).replace(/\.(?:m|c)?tsx?$/, '.js');
const isCode = (file: string) => /\.(?:m|c)?[jt]sx?$/.test(file) && !file.endsWith('.d.ts');

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
const packageName = (specifier: string) => {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
};

/**
 * Each relative import becomes an external import of its compiled file, and the file it names
 * joins the set to compile. JSON imports stay inlined (Node would need an import attribute).
 */
function relativeImports(found: Set<string>): Plugin {
  return {
    name: 'relative-imports',
    setup(b) {
      b.onResolve({ filter: /^\.\.?(?:\/|$)/ }, async (args) => {
        if (args.kind === 'entry-point' || args.pluginData === 'inner') return undefined;
        const r = await b.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: 'inner',
        });
        if (r.errors.length > 0) return { errors: r.errors };
        if (!isCode(r.path)) return undefined;
        if (!r.path.startsWith(ROOT + sep) || r.path.includes(`${sep}node_modules${sep}`)) {
          return { errors: [{ text: `${args.path} resolves outside the project: ${r.path}` }] };
        }
        found.add(r.path);
        let spec = relative(dirname(toOut(args.importer)), toOut(r.path))
          .split(sep)
          .join('/');
        if (!spec.startsWith('.')) spec = `./${spec}`;
        return { path: spec, external: true };
      });
    },
  };
}

async function compile(): Promise<string[]> {
  const compiled = new Set<string>();
  let pending = new Set(ENTRIES);
  const problems: string[] = [];
  // Each round compiles the files found in the previous one, until no new file turns up.
  while (pending.size > 0) {
    const found = new Set<string>();
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: [...pending],
      outbase: ROOT,
      outdir: OUT,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: TARGET,
      sourcemap: false,
      legalComments: 'none',
      logLevel: 'warning',
      metafile: true,
      plugins: [relativeImports(found)],
    });
    for (const file of pending) compiled.add(file);
    for (const [file, output] of Object.entries(result.metafile.outputs)) {
      for (const imp of output.imports) {
        if (!imp.external || imp.path.startsWith('.')) continue;
        const name = packageName(imp.path);
        if (imp.path.startsWith('node:') || builtins.has(name) || productionDeps.has(name)) continue;
        problems.push(`${file} imports '${imp.path}', which is not in package.json "dependencies"`);
      }
    }
    pending = new Set([...found].filter((f) => !compiled.has(f)));
  }
  if (problems.length > 0)
    throw new Error(`build: run-time imports need production dependencies:\n  ${problems.join('\n  ')}`);
  return [...compiled].map(toOut);
}

function copyAssets(): void {
  for (const { from, to, keep } of ASSETS) {
    const dest = join(OUT, to);
    mkdirSync(dest, { recursive: true });
    for (const file of readdirSync(join(ROOT, from)).filter(keep))
      cpSync(join(ROOT, from, file), join(dest, file));
  }
}

/** Every `new URL('<path>', import.meta.url)` in the output names a file (or folder) that exists. */
function checkRuntimeFiles(outputs: string[]): void {
  const missing: string[] = [];
  const pattern = /new URL\(\s*(['"`])([^'"`]+)\1\s*,\s*import\.meta\.url\s*\)/g;
  for (const file of outputs) {
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) {
      // A template literal (`../models/${file}.json`): check the folder its static part names.
      const literal = m[2]!;
      const hole = literal.indexOf('${');
      const target = hole < 0 ? literal : dirname(`${literal.slice(0, hole)}x`);
      const path = resolve(dirname(file), target);
      if (!existsSync(path)) missing.push(`${relative(ROOT, file)} reads ${relative(ROOT, path)}`);
    }
  }
  if (missing.length > 0)
    throw new Error(`build: files read at run time are missing from dist/:\n  ${missing.join('\n  ')}`);
}

const started = Date.now();
try {
  rmSync(OUT, { recursive: true, force: true });
  const outputs = await compile();
  copyAssets();
  checkRuntimeFiles(outputs);
  console.log(`build: ${outputs.length} modules → ${relative(ROOT, OUT)}/ in ${Date.now() - started} ms`);
} catch (err) {
  // esbuild has printed its own errors; ours name the file and what is wrong.
  console.error((err as Error).message);
  process.exitCode = 1;
}
