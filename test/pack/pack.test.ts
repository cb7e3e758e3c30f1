import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppStreamClient, DescribeImagesCommand } from '@aws-sdk/client-appstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package a person installs: `npm pack` (its `prepack` builds dist/), then the tarball
 * installed into an empty folder with production dependencies only, and the `autopilot` CLI run
 * there through `npx` as the README says. No tsx, no TypeScript sources, no devDependencies.
 *
 * Slow by nature (npm install of the production dependencies: ~10 s from a warm cache, over a
 * minute from the registry on a busy machine), so every step gets a generous bound.
 */
const run = promisify(execFile);
const ROOT = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'pack-'));
const packDir = join(work, 'tarball');
const installDir = join(work, 'install');
const children: ChildProcess[] = [];

/**
 * The environment for npm in the empty folder: `npm test` exports npm_* variables describing
 * this project (npm_config_local_prefix, npm_package_*) that would point npm back at the
 * checkout. The cache and registry settings stay (a warm cache keeps the install fast).
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !keep.has(k.toLowerCase())) continue;
    if (k === 'INIT_CWD' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

/** `npm <args>` in `cwd`, in the clean environment; a failure (of `what`) says what npm printed. */
const npm = (args: string[], cwd: string, timeout: number, what = `npm ${args[0]}`) =>
  run('npm', args, { cwd, env: cleanEnv(), timeout, maxBuffer: 16 * 1024 * 1024 }).catch((e) => {
    throw new Error(`${what} failed: ${e.stderr || e.message}`);
  });

/** Every directory named `name` under a node_modules folder of `dir` (nested ones too). */
function installedPackages(dir: string, name: string): string[] {
  const found: string[] = [];
  const walk = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(modules, entry.name);
      if (entry.name.startsWith('@')) {
        for (const scoped of readdirSync(path, { withFileTypes: true }))
          if (scoped.isDirectory()) walk(join(path, scoped.name, 'node_modules'));
        continue;
      }
      if (entry.name === name) found.push(path);
      walk(join(path, 'node_modules'));
    }
  };
  walk(join(dir, 'node_modules'));
  return found;
}

/**
 * `npx autopilot <args>` in the install folder (killed after the tests if still running):
 * `output(find, what)` answers the first value `find` sees in its stdout so far, and fails if the
 * process exits before.
 */
function npxAutopilot(args: string[]) {
  const child = spawn('npx', ['--no', 'autopilot', ...args], {
    cwd: installDir,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const output = <T>(find: (out: string) => T | undefined, what: string) =>
    new Promise<T>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const found = find(out);
        if (found !== undefined) resolve(found);
      });
      void exited.then(({ code }) => reject(new Error(`exited ${code} before ${what}: ${stderr}`)));
    });
  return { child, exited, output, stderr: () => stderr };
}

/** Waits (bounded by the test's timeout) until nothing answers at `url` any more. */
async function untilGone(url: string) {
  for (;;) {
    const up = await fetch(url).then(
      () => true,
      () => false,
    );
    if (!up) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

let tarball = '';
let entries: string[] = [];

beforeAll(async () => {
  mkdirSync(packDir);
  // `npm pack` runs `prepack` (npm run build → dist/) in the checkout, then packs `files`.
  await npm(['pack', '--pack-destination', packDir], ROOT, 180_000);
  const tgz = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
  expect(tgz).toHaveLength(1);
  tarball = join(packDir, tgz[0]!);
  entries = (await run('tar', ['-tzf', tarball])).stdout.split('\n').filter(Boolean);

  // An empty folder of its own (a package.json so npm installs here, not in a parent folder).
  mkdirSync(installDir);
  writeFileSync(join(installDir, 'package.json'), JSON.stringify({ name: 'try-autopilot', private: true }));
  await npm(
    ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', tarball],
    installDir,
    420_000,
  );
}, 660_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('npm pack: the installable autopilot package', () => {
  it('holds the compiled CLI, the data it reads at run time and the examples, and no TypeScript or tests', () => {
    const files = entries.map((e) => e.replace(/^package\//, ''));
    for (const f of [
      'package.json',
      'README.md',
      'bin/autopilot.mjs',
      'dist/bin/autopilot.js',
      'dist/bin/emulator-command.js',
      'dist/bin/pipeline-command.js',
      'dist/local/pipeline.js',
      'dist/local/polyfill.js',
      'dist/emulator/models/appstream.service.json',
      'dist/statemachines/image-pipeline.asl.json',
      'dist/statemachines/fleet-schedule.asl.json',
      'dist/statemachines/builder-cleanup.asl.json',
      'examples/office-apps.yaml',
      // `autopilot local up` reads the schedules serverless.yml declares and the files it bundles.
      'serverless.yml',
      'config/pipelines/office-apps.yaml',
      'config/cleanup.yaml',
      'config/schedules.yaml',
    ])
      expect(files).toContain(f);
    const unexpected = files.filter(
      (f) =>
        !/^(?:dist\/|examples\/|config\/|bin\/autopilot\.mjs$|serverless\.yml$|package\.json$|README\.md$|LICENSE$)/.test(
          f,
        ),
    );
    expect(unexpected).toEqual([]);
    expect(files.filter((f) => /\.(?:ts|tsx|mts|cts)$/.test(f))).toEqual([]);
  });

  it('installs with production dependencies only: no tsx anywhere in the installed tree', () => {
    expect(existsSync(join(installDir, 'node_modules/.bin/autopilot'))).toBe(true);
    expect(existsSync(join(installDir, 'node_modules/appstream-autopilot/dist/bin/autopilot.js'))).toBe(true);
    expect(installedPackages(installDir, 'tsx')).toEqual([]);
    expect(installedPackages(installDir, 'typescript')).toEqual([]);
  });

  it('`npx autopilot emulator --port 0` serves the AppStream API and stops on SIGTERM', {
    timeout: 180_000,
  }, async () => {
    const emulator = npxAutopilot(['emulator', '--port', '0']);
    const endpoint = await emulator.output(
      (out) => /listening on (http:\/\/\S+)/.exec(out)?.[1],
      'listening',
    );
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // A real SDK call: the emulator found its service models (dist/emulator/models) at run time.
    const client = new AppStreamClient({
      endpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: '123456789012', secretAccessKey: 'secret' },
    });
    const images = await client.send(new DescribeImagesCommand({ Type: 'PUBLIC' }));
    client.destroy();
    expect(images.Images?.length).toBeGreaterThan(0);

    emulator.child.kill('SIGTERM');
    const { code, signal } = await emulator.exited;
    expect(code === 0 || code === 143 || signal === 'SIGTERM').toBe(true);
    // npx does not pass SIGTERM on; the emulator stops when its parent is gone: wait until nothing
    // answers on its port any more.
    await untilGone(`${endpoint}/_emulator/health`);
    expect(emulator.stderr()).not.toMatch(/tsx|^\s+at /m); // nothing of tsx, no stack trace
  });

  it('`npx autopilot pipeline run <example> --local` completes a pipeline against the embedded emulator', {
    timeout: 240_000,
  }, async () => {
    // The example as a person copies it out of the package.
    cpSync(
      join(installDir, 'node_modules/appstream-autopilot/examples/office-apps.yaml'),
      join(installDir, 'office-apps.yaml'),
    );
    const { stdout, stderr } = await run(
      'npx',
      ['--no', 'autopilot', 'pipeline', 'run', 'office-apps.yaml', '--local'],
      { cwd: installDir, env: cleanEnv(), timeout: 200_000, maxBuffer: 16 * 1024 * 1024 },
    ).catch((e) => {
      throw new Error(`pipeline run failed (exit ${e.code}): ${e.stdout}\n${e.stderr}`);
    });
    expect(stdout).toContain('Pipeline SUCCEEDED');
    expect(stdout).toMatch(/image\s+office-apps-\S+\s+\(AVAILABLE\)/);
    expect(stderr).not.toMatch(/tsx|^\s+at /m); // nothing of tsx, no stack trace
  });
  it('`npx autopilot local up` finds the schedules and pipelines the package ships, and stops on SIGTERM', {
    timeout: 180_000,
  }, async () => {
    const up = npxAutopilot(['local', 'up', '--port', '0', '--api-port', '0', '--json']);
    const ready = await up.output((out) => {
      const line = out.split('\n').find((l) => l.startsWith('{"type":"ready"'));
      return line
        ? (JSON.parse(line) as {
            apiUrl: string;
            pipelines: string[];
            schedules: { workflow: string; timezone: string }[];
          })
        : undefined;
    }, 'ready');
    expect(ready.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.pipelines).toContain('office-apps');
    expect(ready.schedules.map((s) => s.workflow).sort()).toEqual(['cleanup', 'schedule']);
    for (const s of ready.schedules) expect(s.timezone).toBe('UTC');
    up.child.kill('SIGTERM');
    await up.exited;
    // As for the emulator: npx may not pass SIGTERM on; local up stops when its parent is gone.
    // Wait until its webhook server answers no more.
    await untilGone(`${ready.apiUrl}/runs/x`);
    expect(up.stderr()).not.toMatch(/tsx|^\s+at /m);
  });
});
