/**
 * `autopilot local up`: every trigger of the deployed service on a laptop, in one process:
 * - the AppStream emulator (started here, or one already running at `endpointUrl`);
 * - the local runtime behind the executions port (LocalExecutions: the three state machines on
 *   aws-local-stepfunctions, idempotent by execution name, kept in memory);
 * - the webhook server with the deployed API's routes and auth (createApi, lib/api/app.ts; SigV4
 *   on the IAM routes, the HMAC/GitHub signatures on /hooks);
 * - EventBridge Scheduler's part: the schedules serverless.yml declares, on the virtual clock;
 * - EventBridge's part for the connection recorder: emulator events delivered as they are logged.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppStreamClient } from '@aws-sdk/client-appstream';
import { parse } from 'yaml';
import { type RunningEmulator, startEmulator } from '../../emulator';
import { createApi } from '../../lib/api/app';
import { AppStreamOverrides } from '../../lib/api/overrides';
import type { PipelineRun } from '../../lib/cleanup/deps';
import { validateCleanupPolicy } from '../../lib/cleanup/policy';
import { systemClock } from '../../lib/clock';
import type { CatchUpSummary } from '../cleanup-events';
import { scopesOf } from '../cleanup-events';
import { LOCAL_ACCOUNT } from '../local-deps';
import { type Delivery, startDelivery } from './delivery';
import { type ExecutionUpdate, LocalExecutions } from './executions';
import { RemoteClock } from './remote-clock';
import type { DeclaredRoute } from './routes';
import { PipelineCatalog, type Target, workflowRunners } from './runners';
import { type Fired, type Scheduler, startScheduler } from './scheduler';
import { type DeclaredSchedule, readServerless } from './schedules';
import { type ApiHandler, type LocalApiServer, startApiServer } from './server';

export interface LocalUpOptions {
  /** Port of the emulator started here (default 4566; 0 picks a free one). */
  port?: number;
  /** Port of the webhook server (default 4567; 0 picks a free one). */
  apiPort?: number;
  host?: string;
  /** Virtual seconds per real second of the emulator started here (default 1). */
  speed?: number;
  seed?: number;
  /** Use this running emulator instead of starting one. */
  endpointUrl?: string;
  /** The HMAC secret of /hooks (default: random, printed). GitHub's secret is the same unless given. */
  hmacSecret?: string;
  githubSecret?: string;
  /** The secret of the local account's access keys for SigV4 (default: random, printed). */
  secretAccessKey?: string;
  /** serverless.yml (schedules, params) and the folder of the pipelines the API knows. */
  serverlessFile?: string;
  pipelinesDir?: string;
  /** Overrides of serverless.yml's params.default. */
  params?: Record<string, string>;
  /** Fire no schedule (the API and the recorder delivery still run). */
  noSchedules?: boolean;
  onUpdate?: (u: ExecutionUpdate) => void;
  onFired?: (f: Fired) => void;
  onDelivered?: (s: CatchUpSummary) => void;
  /** A delivery to the recorder failed as a whole (its events are read again at the next one). */
  onDeliveryError?: (err: Error) => void;
  onError?: (message: string) => void;
}

export interface LocalUp {
  emulatorEndpoint: string;
  apiUrl: string;
  controlUrl: string;
  hmacSecret: string;
  githubSecret: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The API's routes, from serverless.yml's httpApi events. */
  routes: DeclaredRoute[];
  schedules: DeclaredSchedule[];
  pipelines: string[];
  executions: LocalExecutions;
  scheduler?: Scheduler;
  delivery: Delivery;
  emulator?: RunningEmulator;
  stop(): Promise<void>;
}

const secret = () => randomBytes(24).toString('base64url');

/** config/cleanup.yaml's policy (what a bare deploy bundles: a dry run), when no file is at hand. */
const DEFAULT_POLICY = { warnAfter: '2h', stopAfter: '4h', scope: { regions: ['us-east-1'] }, dryRun: true };

/**
 * A file of the project: in the working directory (a clone), else beside the installed package
 * (the folder holding its package.json, whatever the compiled layout); undefined when neither has it.
 */
function projectFile(rel: string): string | undefined {
  if (existsSync(rel)) return rel;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (!existsSync(pkg)) continue;
    try {
      if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name !== 'appstream-autopilot')
        continue;
    } catch {
      continue;
    }
    return existsSync(join(dir, rel)) ? join(dir, rel) : undefined;
  }
  return undefined;
}

export async function startLocalUp(o: LocalUpOptions = {}): Promise<LocalUp> {
  // serverless.yml is where the API's routes and the schedules are declared (the package ships it).
  const serverlessFile = o.serverlessFile ?? projectFile('serverless.yml');
  if (!serverlessFile)
    throw new Error(
      'serverless.yml not found (in the working directory or beside the installed package): pass --serverless <file>',
    );
  const serverless = readServerless(serverlessFile, { params: o.params });
  const base = dirname(serverlessFile);
  const readYaml = (file: string) => parse(readFileSync(file, 'utf8')) as unknown;
  /** A bundled file (a serverless.yml param, relative to it), else the default a bare deploy bundles. */
  const bundled = (param: string, fallback: unknown) => {
    const rel = serverless.params[param];
    const file = rel ? resolve(base, rel) : undefined;
    return file && existsSync(file)
      ? { file, read: () => readYaml(file) }
      : { file: '(built-in default)', read: () => fallback };
  };
  const scheduleFile = bundled('scheduleFile', { schedules: {}, fleets: [] });
  const cleanupFile = bundled('cleanupPolicyFile', DEFAULT_POLICY);
  // Checked at start: a broken policy is said now, not at the first scheduled run.
  const policy = validateCleanupPolicy(cleanupFile.read(), cleanupFile.file);
  // The pipelines the API and their schedules start by name: the pipelinesDir param's folder
  // (config/pipelines), else examples/ (an installed package has no config/).
  const pipelinesDir = resolve(base, serverless.params.pipelinesDir ?? 'config/pipelines');
  const pipelines = new PipelineCatalog(
    o.pipelinesDir ?? (existsSync(pipelinesDir) ? pipelinesDir : (projectFile('examples') ?? 'examples')),
  );
  const schedules = [...serverless.schedules, ...pipelines.schedules()];

  const emulator = o.endpointUrl
    ? undefined
    : await startEmulator({ port: o.port ?? 4566, host: o.host, speed: o.speed ?? 1, seed: o.seed ?? 1 });
  const closing: (() => Promise<void> | void)[] = [];
  try {
    const endpoint = emulator?.endpoint ?? o.endpointUrl!.replace(/\/$/, '');
    const clock = emulator ? undefined : await RemoteClock.connect(endpoint);
    const now = () => emulator?.world.now() ?? clock!.now();
    const target: Target = emulator ? { emulator } : { endpointUrl: endpoint, clock: clock! };
    const work = mkdtempSync(join(tmpdir(), 'autopilot-local-up-'));
    closing.push(() => rmSync(work, { recursive: true, force: true }));
    const cursorFile = join(work, 'cursors.json');

    const executions: LocalExecutions = new LocalExecutions({
      now,
      onUpdate: o.onUpdate,
      runners: workflowRunners({
        target,
        pipelines,
        scheduleConfig: scheduleFile.read,
        cleanupPolicy: cleanupFile.read,
        cursorFile,
        // Called during a cleanup run, after `executions` exists.
        pipelineRuns: async (): Promise<PipelineRun[]> =>
          executions
            .list()
            .filter((e) => e.workflow === 'pipeline')
            .map((e) => ({ name: e.name, status: e.status, startDate: Date.parse(e.startedAt) })),
      }),
    });
    closing.push(() => executions.stopAll(1500));

    const delivery = startDelivery({
      source: emulator ?? endpoint,
      cursorFile,
      scopes: scopesOf(
        (policy.scope.accounts ?? [{ id: LOCAL_ACCOUNT }]).map((a) => a.id),
        policy.scope.regions,
      ),
      roles: Object.fromEntries((policy.scope.accounts ?? []).map((a) => [a.id, a.roleArn])),
      now,
      onDelivered: o.onDelivered,
      onError: o.onDeliveryError,
    });
    closing.push(() => delivery.stop());

    const region = 'us-east-1';
    const appstream = new AppStreamClient({
      endpoint,
      region,
      credentials: { accessKeyId: LOCAL_ACCOUNT, secretAccessKey: 'local' },
    });
    closing.push(() => appstream.destroy());
    const hmacSecret = o.hmacSecret ?? secret();
    const githubSecret = o.githubSecret ?? hmacSecret;
    const secretAccessKey = o.secretAccessKey ?? secret();
    const handler = createApi(
      {
        executions,
        overrides: new AppStreamOverrides(appstream),
        secrets: { hmacSecret: async () => hmacSecret, githubSecret: async () => githubSecret },
        // Real time: webhook signatures carry the sender's clock (the runs' times are virtual).
        clock: systemClock,
        pipelineNames: async () => pipelines.names(),
        logger: {
          info: () => undefined,
          warn: () => undefined,
          error: (m, ...rest) => o.onError?.(`${m} ${JSON.stringify(rest)}`),
        },
      },
      { routes: 'all', requireIamCaller: true },
    );
    const api: LocalApiServer = await startApiServer({
      handler: handler as unknown as ApiHandler,
      routes: serverless.routes,
      account: LOCAL_ACCOUNT,
      secretAccessKey,
      port: o.apiPort ?? 4567,
      host: o.host,
      region,
    });
    closing.push(() => api.close());

    const scheduler = o.noSchedules
      ? undefined
      : startScheduler({
          schedules,
          now,
          start: (workflow, name, input) => executions.start(workflow, name, input),
          onFired: o.onFired,
          onError: (s, err) => o.onError?.(`schedule ${s.id}: ${err.name}: ${err.message}`),
        });
    if (scheduler) closing.push(() => scheduler.stop());

    let stopped = false;
    return {
      emulatorEndpoint: endpoint,
      apiUrl: api.url,
      controlUrl: `${endpoint}/_emulator`,
      hmacSecret,
      githubSecret,
      accessKeyId: LOCAL_ACCOUNT,
      secretAccessKey,
      region,
      routes: serverless.routes,
      schedules,
      pipelines: pipelines.names(),
      executions,
      scheduler,
      delivery,
      emulator,
      async stop() {
        if (stopped) return;
        stopped = true;
        // Triggers first (nothing new starts), then the runs, then the emulator.
        for (const close of closing.reverse()) await Promise.resolve(close()).catch(() => undefined);
        await emulator?.stop();
      },
    };
  } catch (err) {
    for (const close of closing.reverse()) await Promise.resolve(close()).catch(() => undefined);
    await emulator?.stop();
    throw err;
  }
}
