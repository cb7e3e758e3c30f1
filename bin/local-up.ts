/**
 * `autopilot local up`: starts everything (local/up/index.ts), prints the endpoints, streams each
 * execution's progress (text, or JSON lines with --json) and stops everything on SIGINT/SIGTERM.
 */

import { type LocalUp, startLocalUp } from '../local/up';
import type { ExecutionUpdate } from '../local/up/executions';
import { progressPrinter } from './progress';
import { intOption, parseOptions, UsageError } from './schedule-args';
import { stopOnSignals } from './stop-signals';

export const UP_HELP = `Usage: autopilot local up [options]

Every trigger of the deployed service on this machine, in one process:
  - the AppStream 2.0 emulator (AppStream, EC2, STS; control API under /_emulator/)
  - the three workflows on the local Step Functions runtime (executions kept in memory)
  - a webhook server with the deployed API's routes and auth: SigV4 (service execute-api, the
    printed keys) on /pipelines, /runs, /fleets, /cleanup; HMAC or GitHub signatures on /hooks
  - a scheduler firing the schedules serverless.yml declares, on the emulator's virtual clock
  - delivery of the emulator's events to the connection recorder (as EventBridge would)

Options:
  --port <port>            the emulator's port (default 4566; 0 picks a free one)
  --api-port <port>        the webhook server's port (default 4567; 0 picks a free one)
  --host <host>            interface to bind (default 127.0.0.1)
  --speed <n>              virtual seconds per real second (default 1; at 60 the 5-minute fleet
                           schedule runs every 5 s). A run's own real time passes × speed too, on
                           the clock its TimeoutSeconds use: past a few hundred, runs time out
  --seed <n>               the emulator's seed (default 1)
  --endpoint-url <url>     use an emulator that is already up (autopilot emulator) instead
  --hmac-secret <secret>   the /hooks HMAC secret (default: random, printed)
  --github-secret <secret> the GitHub webhook secret (default: the HMAC secret)
  --secret-access-key <s>  the secret of the local keys for SigV4 (default: random, printed)
  --pipelines <dir>        the pipelines the API and their own schedules start by name (default:
                           serverless.yml's pipelinesDir, config/pipelines; else examples)
  --serverless <file>      where the schedules and params are read (default serverless.yml)
  --param <key=value>      override a serverless.yml param (repeatable), e.g. scheduleCadenceMinutes=10
  --no-schedules           fire no schedule
  --json                   JSON lines: {"type":"ready",…} first, then one line per event
  -h, --help               this help

Stops on Ctrl+C (SIGINT) or SIGTERM: running executions are stopped (ABORTED), then the servers.`;

/** The longest a stop may take before the process exits anyway. */
const STOP_DEADLINE_MS = 3000;

const port = (name: string, v: string | undefined, dflt: number) => intOption(name, v, 0, 65535) ?? dflt;

export async function upCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    port: { type: 'string' },
    'api-port': { type: 'string' },
    host: { type: 'string' },
    speed: { type: 'string' },
    seed: { type: 'string' },
    'endpoint-url': { type: 'string' },
    'hmac-secret': { type: 'string' },
    'github-secret': { type: 'string' },
    'secret-access-key': { type: 'string' },
    pipelines: { type: 'string' },
    serverless: { type: 'string' },
    param: { type: 'string', multiple: true },
    'no-schedules': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    console.log(UP_HELP);
    return 0;
  }
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const speed = values.speed === undefined ? undefined : Number(values.speed);
  if (speed !== undefined && !(Number.isFinite(speed) && speed > 0))
    throw new UsageError(`--speed must be a positive number, got '${values.speed}'`);
  if (values['endpoint-url'] && (values.port || values.speed || values.seed))
    throw new UsageError("--port, --speed and --seed are the started emulator's: not with --endpoint-url");
  for (const [name, s] of [
    ['hmac-secret', values['hmac-secret']],
    ['github-secret', values['github-secret']],
    ['secret-access-key', values['secret-access-key']],
  ] as const)
    if (s !== undefined && s.length < 8) throw new UsageError(`--${name} must be at least 8 characters`);
  const params: Record<string, string> = {};
  for (const p of values.param ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`--param takes key=value, got '${p}'`);
    params[p.slice(0, i)] = p.slice(i + 1);
  }
  const json = Boolean(values.json);
  const emit = (o: object) => console.log(JSON.stringify(o));
  const printers = new Map<string, ReturnType<typeof progressPrinter>>();
  const onUpdate = (u: ExecutionUpdate) => {
    const e = u.execution;
    const view = { runId: e.executionId, workflow: e.workflow, status: e.status };
    if (json) {
      if (u.type === 'progress')
        emit({ type: 'progress', ...view, event: { ...u.event, output: undefined } });
      else if (u.type === 'started') emit({ type: 'started', ...view, startedAt: e.startedAt });
      else
        emit({
          type: 'ended',
          ...view,
          startedAt: e.startedAt,
          stoppedAt: e.stoppedAt,
          image: e.image,
          error: e.error,
          detail: e.detail,
        });
      return;
    }
    if (u.type === 'started') {
      printers.set(
        e.executionId,
        progressPrinter((line) => console.log(`[${e.executionId}] ${line}`)),
      );
      console.log(`[${e.executionId}] started`);
    } else if (u.type === 'progress') printers.get(e.executionId)?.(u.event);
    else {
      printers.delete(e.executionId);
      console.log(
        `[${e.executionId}] ${e.status}${e.image ? ` image ${e.image}` : ''}${e.error ? `: ${e.error}` : ''}`,
      );
    }
  };
  const up: LocalUp = await startLocalUp({
    port: port('port', values.port, 4566),
    apiPort: port('api-port', values['api-port'], 4567),
    host: values.host,
    speed,
    seed: intOption('seed', values.seed, 0, 2 ** 31),
    endpointUrl: values['endpoint-url'],
    hmacSecret: values['hmac-secret'],
    githubSecret: values['github-secret'],
    secretAccessKey: values['secret-access-key'],
    pipelinesDir: values.pipelines,
    serverlessFile: values.serverless,
    params,
    noSchedules: Boolean(values['no-schedules']),
    onUpdate,
    onFired: (f) =>
      json
        ? emit({
            type: 'scheduled',
            schedule: f.schedule.id,
            workflow: f.schedule.workflow,
            due: new Date(f.due).toISOString(),
            executionName: f.executionName,
            skipped: f.skipped,
          })
        : console.log(
            `schedule ${f.schedule.id} (${f.schedule.expression}) due ${new Date(f.due).toISOString()}: starting ${f.schedule.workflow} ${f.executionName}${f.skipped ? ` (${f.skipped} earlier slot(s) folded in: the virtual clock jumped)` : ''}`,
          ),
    onDelivered: (s) =>
      json
        ? emit({ type: 'recorder', delivered: s.delivered, recorded: s.recorded, notes: s.notes })
        : console.log(
            `recorder: ${s.delivered} event(s) delivered, ${s.recorded} recorded${s.notes.length ? `; ${s.notes.join('; ')}` : ''}`,
          ),
    onDeliveryError: (e) =>
      json
        ? emit({ type: 'error', source: 'recorder', error: e.name, message: e.message })
        : console.error(`recorder: delivery failed (read again at the next one): ${e.name}: ${e.message}`),
    onError: (message) => (json ? emit({ type: 'error', message }) : console.error(`error: ${message}`)),
  });
  const next = up.scheduler?.next() ?? {};
  const schedules = up.schedules.map((s) => ({
    id: s.id,
    workflow: s.workflow,
    expression: s.expression,
    timezone: s.timezone,
    next: next[s.id] === undefined ? null : new Date(next[s.id]!).toISOString(),
  }));
  if (json)
    emit({
      type: 'ready',
      emulatorEndpoint: up.emulatorEndpoint,
      controlUrl: up.controlUrl,
      apiUrl: up.apiUrl,
      hmacSecret: up.hmacSecret,
      githubSecret: up.githubSecret,
      accessKeyId: up.accessKeyId,
      secretAccessKey: up.secretAccessKey,
      region: up.region,
      pipelines: up.pipelines,
      schedules: values['no-schedules'] ? [] : schedules,
      routes: up.routes,
    });
  else printEndpoints(up, values['no-schedules'] ? [] : schedules);

  return new Promise<number>((resolve) =>
    stopOnSignals(STOP_DEADLINE_MS, async (reason) => {
      if (json) emit({ type: 'stopping', reason });
      else console.log(`\n${reason}: stopping (running executions are aborted)`);
      await up.stop();
      resolve(0);
    }),
  );
}

function printEndpoints(
  up: LocalUp,
  schedules: { id: string; workflow: string; expression: string; timezone: string; next: string | null }[],
) {
  const e = up.emulatorEndpoint;
  const lines = [
    'appstream-autopilot: every trigger locally',
    '',
    `  AppStream/EC2/STS endpoint  ${e}`,
    `    export AWS_ACCESS_KEY_ID=${up.accessKeyId} AWS_SECRET_ACCESS_KEY=${up.secretAccessKey} AWS_REGION=${up.region}`,
    `    aws appstream describe-image-builders --endpoint-url ${e}`,
    `  Control API                 ${up.controlUrl}/  (faults: autopilot emulator fault list --endpoint-url ${e})`,
    `  Webhook API                 ${up.apiUrl}`,
    `    SigV4 (execute-api, the keys above): ${up.routes
      .filter((r) => r.auth === 'AWS_IAM')
      .map((r) => `${r.method} ${r.path}`)
      .join(', ')}`,
    `      curl --aws-sigv4 aws:amz:${up.region}:execute-api --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -X POST ${up.apiUrl}/pipelines/${up.pipelines[0] ?? '<name>'}/runs`,
    `    Signed webhooks: ${up.routes
      .filter((r) => r.auth === 'NONE')
      .map((r) => `${r.method} ${r.path}`)
      .join(', ')}`,
    `  HMAC secret                 ${up.hmacSecret}`,
    `  Pipelines                   ${up.pipelines.join(', ') || '(none)'}`,
    `  Schedules                   ${schedules.length ? '' : '(none)'}`,
    ...schedules.map(
      (s) => `    ${s.id}: ${s.expression} ${s.timezone} → ${s.workflow}, next ${s.next ?? 'never'}`,
    ),
    '',
    'Ready. Ctrl+C stops.',
  ];
  console.log(lines.join('\n'));
}
