/**
 * The image pipeline on the local runtime against an emulator in another process
 * (`autopilot pipeline run <file> --local --endpoint-url <url>`, and `autopilot local up
 * --endpoint-url <url>`): the same state machine, functions and emulated builder agent as
 * runPipelineLocally (local/pipeline.ts), which drives an emulator in this process; here the
 * emulator is reached over HTTP only, so a person can watch the run with the AWS CLI. Waits move
 * the emulator's virtual clock through its control API (RemoteClock).
 */
import { AppStreamClient, DescribeImageBuildersCommand } from '@aws-sdk/client-appstream';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EmulatorChannel } from '../../lib/agent/emulator-channel';
import { findImage } from '../../lib/appstream/queries';
import { perRegion } from '../../lib/aws/per-region';
import { MemoryNotifier } from '../../lib/notify/sns';
import { stillBillingMessage } from '../../lib/pipeline/builder';
import type { PipelineDeps, RunningExecution } from '../../lib/pipeline/deps';
import { BILLING_STATES } from '../../lib/pipeline/housekeeping';
import { localClients } from '../local-clients';
import { LOCAL_ACCOUNT } from '../local-deps';
import {
  backstopOnEnd,
  type LocalPipelineSummary,
  loadDefinition,
  localHandlers,
  summaryOfRun,
  trackExecution,
} from '../pipeline';
import { type LocalRunResult, type ProgressEvent, runLocally } from '../runner';
import { RemoteClock } from './remote-clock';

export interface RemotePipelineOptions {
  config: unknown;
  endpointUrl: string;
  executionName: string;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** The other RUNNING pipeline executions (the concurrent-run guard); default: this one only. */
  registry?: Map<string, RunningExecution>;
  /** A clock shared by the runs against one emulator (default: one for this run). */
  clock?: RemoteClock;
}

type Handler = (args: unknown) => Promise<unknown>;
interface AwaitableStack {
  add(mw: (next: Handler) => Handler, opts: { step: 'initialize'; name: string }): void;
}

/** Pipeline dependencies against the emulator at `endpoint`, every call after the clock's advances. */
function remoteDeps(endpoint: string, clock: RemoteClock, account = LOCAL_ACCOUNT) {
  const { clients, make } = localClients(endpoint, account);
  const client = <C extends AppStreamClient | EC2Client>(Client: new (c: never) => C, region: string): C => {
    const c = make(Client as never, region) as C;
    (c.middlewareStack as unknown as AwaitableStack).add(
      (next) => async (args) => {
        await clock.settled();
        return next(args);
      },
      { step: 'initialize', name: 'awaitEmulatorClock' },
    );
    return c;
  };
  const appstream = perRegion((region) => client(AppStreamClient, region));
  const channel = new EmulatorChannel(endpoint, account, undefined, {
    now: () => clock.now(),
    // The agent runs only on a RUNNING builder: ask AppStream, as a person would.
    builderState: async (region, name) => {
      const out = await appstream(region)
        .send(new DescribeImageBuildersCommand({ Names: [name] }))
        .catch(() => undefined);
      return out?.ImageBuilders?.[0]?.State ?? 'DELETED';
    },
  });
  const deps: PipelineDeps & { clients: { destroy(): void }[] } = {
    deployment: 'local',
    region: 'us-east-1',
    appstream,
    ec2: perRegion((region) => client(EC2Client, region)),
    channel,
    notifier: new MemoryNotifier(),
    clock: { now: () => clock.now() },
    sleep: async (ms) => {
      clock.advance(ms);
      await clock.settled();
    },
    clients,
  };
  return deps;
}

export async function runPipelineRemote(
  opts: RemotePipelineOptions,
): Promise<{ result: LocalRunResult; summary: LocalPipelineSummary }> {
  const clock = opts.clock ?? (await RemoteClock.connect(opts.endpointUrl));
  const deps = remoteDeps(opts.endpointUrl, clock);
  const registry = opts.registry ?? new Map<string, RunningExecution>();
  trackExecution(deps, registry, opts.executionName, clock.now(), opts.config);
  let backstopped: LocalPipelineSummary['backstop'];
  let builderEnsured = false;
  try {
    const result = await runLocally({
      definition: loadDefinition(),
      input: { config: opts.config },
      executionName: opts.executionName,
      handlers: localHandlers(deps),
      time: { now: () => clock.now(), advance: (ms) => clock.advance(ms) },
      onProgress: (e) => {
        if (e.type === 'exited' && e.state === 'EnsureBuilder') builderEnsured = true;
        opts.onProgress?.(e);
      },
      signal: opts.signal,
      region: deps.region,
      account: LOCAL_ACCOUNT,
      onStatusChange: async (event) => {
        registry.delete(opts.executionName);
        backstopped = await backstopOnEnd(deps, event);
      },
    });
    await clock.settled();
    const summary = await summarize(result, deps, opts.config, opts.executionName, builderEnsured);
    summary.backstop = backstopped;
    return { result, summary };
  } finally {
    registry.delete(opts.executionName);
    for (const c of deps.clients) c.destroy();
  }
}

/** The run's image and builder as AppStream shows them now (what `pipeline run` prints). */
async function summarize(
  result: LocalRunResult,
  deps: PipelineDeps,
  config: unknown,
  executionName: string,
  builderEnsured: boolean,
): Promise<LocalPipelineSummary> {
  const { plan, existing, summary } = summaryOfRun(result, deps, config, executionName);
  if (!plan) return summary;
  const client = deps.appstream(plan.region);
  if (plan.imageName) {
    const image = await findImage(client, { name: plan.imageName }).catch(() => undefined);
    summary.image = { name: plan.imageName, arn: image?.Arn, state: image?.State ?? 'NOT_FOUND' };
  }
  const builder = await client
    .send(new DescribeImageBuildersCommand({ Names: [plan.builderName] }))
    .then((o) => o.ImageBuilders?.[0])
    .catch(() => undefined);
  summary.builder.state = builder?.State ?? (builderEnsured ? 'DELETED' : 'NOT_LAUNCHED');
  // A builder this run launched and left billing is loud (an existing one may be running on purpose).
  if (builder?.State && BILLING_STATES.includes(builder.State) && !existing)
    summary.alert = stillBillingMessage(plan.builderName, builder.State);
  return summary;
}
