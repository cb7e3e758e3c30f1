/**
 * `npx osls package` once for every test file that reads the packaged stack: the output is kept in
 * a folder named by a hash of everything that goes into it (serverless.yml, deploy/, config/,
 * statemachines/, functions/, lib/, package.json, package-lock.json), so files running in
 * parallel workers (and later runs of an unchanged checkout) share one package. A lock folder
 * makes the others wait while one packages (osls and esbuild also write into the checkout: one
 * packaging at a time). Packaging takes ~10 s on a quiet machine and minutes on a loaded one.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Inputs of the package: a change to any of them packages again. */
const INPUTS = [
  'serverless.yml',
  'package.json',
  'package-lock.json',
  'deploy',
  'config',
  'statemachines',
  'functions',
  'lib',
];
/** How long one packaging may take before another file takes over its lock. */
const STALE_LOCK_MS = 6 * 60_000;
export const STAGE = 'ci';
export const REGION = 'eu-west-1';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, read field by field by the tests
export type Cfn = any;
export interface Template {
  Resources: Record<string, { Type: string; Properties: Cfn; Condition?: string }>;
  Outputs?: Record<string, { Value: Cfn; Description?: string }>;
  Conditions?: Record<string, Cfn>;
}

function inputsHash(root: string): string {
  const hash = createHash('sha256');
  const add = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) add(join(path, entry));
      return;
    }
    hash.update(relative(root, path));
    hash.update(readFileSync(path));
  };
  for (const input of INPUTS) add(join(root, input));
  return hash.digest('hex').slice(0, 16);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The package folder (zips and cloudformation-template-update-stack.json) of this checkout. */
export async function packageDir(root = process.cwd()): Promise<string> {
  const base = join(tmpdir(), 'appstream-autopilot-package');
  mkdirSync(base, { recursive: true });
  const dir = join(base, inputsHash(root));
  const done = join(dir, 'cloudformation-template-update-stack.json');
  // One packaging at a time, whatever the hash: osls and esbuild write into the checkout too.
  const lock = join(base, 'packaging.lock');
  for (;;) {
    if (existsSync(done)) return dir;
    try {
      mkdirSync(lock);
    } catch {
      // Another file is packaging: wait for it (or take over a lock left by a killed run).
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (since !== undefined && Date.now() - since > STALE_LOCK_MS)
        rmSync(lock, { recursive: true, force: true });
      await sleep(1000);
      continue;
    }
    try {
      if (existsSync(done)) return dir;
      const work = `${dir}.work`;
      rmSync(work, { recursive: true, force: true });
      await run('npx', ['osls', 'package', '--stage', STAGE, '--region', REGION, '--package', work], {
        cwd: root,
        env: {
          ...process.env,
          // Offline: no credentials are used, but the AWS provider wants some to exist.
          AWS_ACCESS_KEY_ID: 'x',
          AWS_SECRET_ACCESS_KEY: 'y',
          SLS_TELEMETRY_DISABLED: '1',
        },
        timeout: 300_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      rmSync(dir, { recursive: true, force: true });
      renameSync(work, dir);
      // Packages of older states of the checkout, an hour on (a run still reading one is done).
      for (const other of readdirSync(base)) {
        const path = join(base, other);
        if (path !== dir && !other.endsWith('.lock') && Date.now() - statSync(path).mtimeMs > 3_600_000)
          rmSync(path, { recursive: true, force: true });
      }
      return dir;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** The packaged CloudFormation template. */
export async function packagedTemplate(root = process.cwd()): Promise<{ dir: string; template: Template }> {
  const dir = await packageDir(root);
  const template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
  return { dir, template };
}

/** Unzips one function's package into `into` (python3's zipfile: no unzip binary needed). */
export async function unzipFunction(dir: string, fn: string, into: string): Promise<string> {
  const target = join(into, fn);
  await run('python3', ['-m', 'zipfile', '-e', join(dir, `${fn}.zip`), target]);
  return target;
}
