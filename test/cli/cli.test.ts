import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { rawCall } from '../helpers/emulator';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const autopilot = (args: string[], cwd = process.cwd()) =>
  exec(process.execPath, [join(process.cwd(), 'bin/autopilot.mjs'), ...args], {
    cwd,
    env: { ...process.env },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );

function startCli(args: string[]): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(process.execPath, ['bin/autopilot.mjs', 'emulator', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening on (http:\/\/\S+)/.exec(d.toString());
      if (m) resolve({ child, endpoint: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
}

describe('CLI: autopilot emulator', () => {
  it('picks a free port with --port 0, serves the API, and on SIGTERM stops and saves its state', async () => {
    const stateFile = join(dir, 'state.json');
    const { child, endpoint } = await startCli([
      '--port',
      '0',
      '--speed',
      '600',
      '--state-file',
      stateFile,
      '--seed',
      '3',
    ]);
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await rawCall(endpoint, 'CreateStack', { Name: 'cli-stack' });
    expect(res.status).toBe(200);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(saved.stores[0].stacks[0].name).toBe('cli-stack');
  });

  it('refuses a bad option value with a one-line error', async () => {
    const out = await autopilot(['emulator', '--speed', 'fast']);
    expect(out.code).toBe(1);
    expect(out.stderr.trim()).toBe("autopilot emulator: --speed must be a positive number, got 'fast'");
  });
});

describe('CLI: autopilot pipeline', () => {
  it('runs the sample pipeline locally and prints the summary (what npm start does)', async () => {
    const out = await autopilot(
      ['pipeline', 'run', 'examples/office-apps.yaml', '--local', '--name', 'cli-run'],
      process.cwd(),
    );
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/→ Resolve/);
    expect(out.stdout).toMatch(/Pipeline SUCCEEDED/);
    expect(out.stdout).toMatch(/image\s+office-apps-\S+\s+\(AVAILABLE\)/);
    expect(out.stdout).toMatch(/builder\s+office-apps-[0-9a-f]{10}\s+\(STOPPED\)/);
    expect(out.stdout).toMatch(/transitions\s+\d+\s+Lambda invocations \d+/);
    expect(out.stdout).toMatch(/est\. AWS cost\s+\$0\.\d+ per run/);
    const status = await autopilot(['pipeline', 'status', 'cli-run']);
    expect(status.stdout).toMatch(/Pipeline SUCCEEDED/);
  });

  it('reports an invalid definition as ConfigError naming the fields, without a stack trace', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'name: bad name\nbuilder:\n  instanceType: m5.large\n  image: latest:WINDOWS_SERVER_2022\n',
    );
    const out = await autopilot(['pipeline', 'validate', file]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('ConfigError');
    expect(out.stderr).toContain('name: letters, digits and -');
    expect(out.stderr).toContain('builder.instanceType: must be an AppStream instance type');
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports YAML syntax errors with the line', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'name: x\nbuilder: [unclosed\n');
    const out = await autopilot(['pipeline', 'validate', file]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/ConfigError: .*broken\.yaml: .*line/);
  });

  it('keeps local runs under .autopilot/ (ignored by git)', () => {
    expect(existsSync('.autopilot/executions/cli-run.json')).toBe(true);
    expect(readFileSync('.gitignore', 'utf8')).toContain('.autopilot/');
  });
});
