import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { autopilot } from '../helpers/cli';
import { rawCall } from '../helpers/emulator';

/** Generous bound for a stop (it takes tens of ms; the orphaned emulator used to live on for seconds). */
const STOP_BOUND_MS = 3000;
const dir = mkdtempSync(join(tmpdir(), 'cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
    // A keep-alive connection stays open: stopping must not wait for it.
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) =>
      request(`${endpoint}/_emulator/health`, { agent }, (r) => r.resume().on('end', resolve))
        .on('error', reject)
        .end(),
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const t0 = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(STOP_BOUND_MS);
    agent.destroy();
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(saved.stores[0].stacks[0].name).toBe('cli-stack');
  });

  it('stops promptly and saves its state when `npx autopilot emulator` gets SIGTERM (npm does not pass it on)', async () => {
    const stateFile = join(dir, 'npx-state.json');
    // Its own process group, so that whatever is left can be cleaned up by group.
    const npx = spawn('npx', ['autopilot', 'emulator', '--port', '0', '--state-file', stateFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        npx.stdout!.on('data', (d: Buffer) => {
          const m = /listening on (http:\/\/\S+)/.exec(d.toString());
          if (m) resolve(m[1]);
        });
        npx.once('exit', (code) => reject(new Error(`npx exited ${code}`)));
      });
      expect((await rawCall(endpoint, 'CreateStack', { Name: 'npx-stack' })).status).toBe(200);
      const t0 = Date.now();
      process.kill(npx.pid!, 'SIGTERM');
      // The emulator (a grandchild of npx) is gone: its port refuses connections, its state is saved.
      let up = true;
      while (up && Date.now() - t0 < STOP_BOUND_MS + 2000) {
        up = await fetch(`${endpoint}/_emulator/health`).then(
          () => true,
          () => false,
        );
        if (up) await new Promise((r) => setTimeout(r, 50));
      }
      expect(up).toBe(false);
      expect(Date.now() - t0).toBeLessThan(STOP_BOUND_MS);
      const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
      expect(saved.stores[0].stacks[0].name).toBe('npx-stack');
    } finally {
      try {
        process.kill(-npx.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, 60_000);

  it('refuses a bad option value with a one-line error', async () => {
    const out = await autopilot(['emulator', '--speed', 'fast']);
    expect(out.code).toBe(1);
    expect(out.stderr.trim()).toBe("autopilot emulator: --speed must be a positive number, got 'fast'");
  });
});

describe('CLI: usage', () => {
  it.each([
    [['--help'], /^Usage: autopilot <command>/],
    [['-h'], /^Usage: autopilot <command>/],
    [['emulator', '--help'], /^Usage: autopilot emulator/],
    [['pipeline'], /^Usage:\n {2}autopilot pipeline run/],
    [['pipeline', '--help'], /^Usage:\n {2}autopilot pipeline run/],
    [['pipeline', 'run', '--help'], /^Usage:\n {2}autopilot pipeline run <file>/],
    [['pipeline', 'run', 'examples/office-apps.yaml', '-h'], /^Usage:\n {2}autopilot pipeline run <file>/],
    [['pipeline', 'status', '--help'], /^Usage: autopilot pipeline status/],
    [['pipeline', 'validate', '--help'], /^Usage: autopilot pipeline validate/],
  ])('autopilot %j prints its usage on stdout and exits 0', async (args, usage) => {
    const out = await autopilot(args);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(usage);
    expect(out.stderr).toBe('');
  });

  it('documents --name (the execution name) in the run usage', async () => {
    const out = await autopilot(['pipeline', 'run', '--help']);
    expect(out.stdout).toMatch(/--name <execution>\s+the Step Functions execution name/);
  });

  it('refuses an unknown pipeline command with exit 2 and the usage on stderr', async () => {
    const out = await autopilot(['pipeline', 'launch']);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/^Unknown pipeline command 'launch'\.\n\nUsage:/);
  });
});

describe('CLI: autopilot pipeline', () => {
  it('runs the sample pipeline locally and prints the summary (what npm start does)', async () => {
    const out = await autopilot(
      ['pipeline', 'run', 'examples/office-apps.yaml', '--local', '--name', 'cli-run'],
      { cwd: process.cwd() },
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

  it('reports a run refused before launch without a builder (no "(DELETED)")', async () => {
    const file = join(dir, 'refused.yaml');
    writeFileSync(
      file,
      [
        'name: refused',
        'region: us-east-1',
        'builder:',
        '  instanceType: stream.standard.medium',
        '  image: no-such-base-image',
        'build:',
        "  applications: [{ name: notepad, path: 'C:\\Windows\\notepad.exe' }]",
        '',
      ].join('\n'),
    );
    const out = await autopilot(['pipeline', 'run', file, '--local', '--name', 'cli-refused']);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/Pipeline FAILED: BaseImageNotFound/);
    expect(out.stdout).toMatch(/builder\s+none launched \(the run stopped before launching one\)/);
    expect(out.stdout).not.toMatch(/DELETED/);
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
