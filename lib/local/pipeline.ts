import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DescribeImageBuildersCommand,
  DescribeImagesCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-appstream';
import { type RunningEmulator, startEmulator } from '../../emulator';
import { functions } from '../../functions';
import type { BuilderChannel } from '../agent/channel';
import type { CommandRunner } from '../agent/emulator-channel';
import type { Notifier } from '../notify/notifier';
import type { PipelineDeps } from '../pipeline/deps';
import { derivedBuilderName } from '../pipeline/resolve';
import type { AslDefinition } from './asl';
import { orchestrationCost } from './cost';
import { localDeps } from './local-deps';
import { type LocalHandler, type LocalRunResult, type ProgressEvent, runLocally } from './runner';

export const PIPELINE_ASL = fileURLToPath(
  new URL('../../statemachines/image-pipeline.asl.json', import.meta.url),
);

export function loadDefinition(file = PIPELINE_ASL): AslDefinition {
  return JSON.parse(readFileSync(file, 'utf8')) as AslDefinition;
}

/** Our functions as local handlers with these dependencies. */
export function localHandlers(deps: PipelineDeps): Record<string, LocalHandler> {
  return Object.fromEntries(
    Object.entries(functions).map(([name, f]) => [name, f.withDeps(deps) as LocalHandler]),
  );
}

export interface LocalPipelineOptions {
  config: unknown;
  executionName?: string;
  /** Reuse a running emulator (tests); otherwise one is started and stopped. */
  emulator?: RunningEmulator;
  onProgress?: (e: ProgressEvent) => void;
  notifier?: Notifier;
  runCommand?: CommandRunner;
  /** Another way to reach the builder (default: the emulator's Image Assistant). */
  channel?: BuilderChannel;
}

export interface LocalPipelineSummary {
  image?: { name?: string; arn?: string; state?: string; tags?: Record<string, string> };
  builder: { name?: string; state: string };
  virtualSeconds: number;
  wallMs: number;
  transitions: number;
  lambdaInvocations: number;
  cost: ReturnType<typeof orchestrationCost>;
}

/** Runs the image pipeline state machine locally against the emulator and summarizes the run. */
export async function runPipelineLocally(
  opts: LocalPipelineOptions,
): Promise<{ result: LocalRunResult; summary: LocalPipelineSummary; emulator: RunningEmulator }> {
  const own = !opts.emulator;
  const emu = opts.emulator ?? (await startEmulator({ seed: 1 }));
  const deps = localDeps(emu, {
    notifier: opts.notifier,
    runCommand: opts.runCommand,
    channel: opts.channel,
  });
  const executionName = opts.executionName ?? `local-${Date.now().toString(36)}`;
  try {
    const result = await runLocally({
      definition: loadDefinition(),
      input: { config: opts.config },
      executionName,
      handlers: localHandlers(deps),
      time: { now: () => emu.world.now(), advance: (ms) => emu.control.advance(ms) },
      onProgress: opts.onProgress,
    });
    const summary = await summarize(result, deps, opts.config, executionName);
    return { result, summary, emulator: emu };
  } finally {
    for (const c of deps.clients) c.destroy();
    if (own) await emu.stop();
  }
}

async function summarize(
  result: LocalRunResult,
  deps: PipelineDeps,
  config: unknown,
  executionName: string,
): Promise<LocalPipelineSummary> {
  const out = (result.output ?? {}) as { plan?: { imageName?: string; builderName: string; region: string } };
  // A failed run has no output: find its builder by the name derived from the execution.
  const c = (config ?? {}) as { name?: string; region?: string; builder?: { existing?: string } };
  const plan =
    out.plan ??
    (c.name
      ? {
          builderName: c.builder?.existing ?? derivedBuilderName(c.name, executionName),
          region: c.region ?? deps.region,
        }
      : undefined);
  const summary: LocalPipelineSummary = {
    builder: { name: plan?.builderName, state: 'UNKNOWN' },
    virtualSeconds: (result.virtualEnd - result.virtualStart) / 1000,
    wallMs: result.wallMs,
    transitions: result.transitions,
    lambdaInvocations: result.lambdaInvocations,
    cost: orchestrationCost({
      transitions: result.transitions,
      lambdaInvocations: result.lambdaInvocations,
      lambdaPollSeconds: result.taskVirtualSeconds,
    }),
  };
  if (!plan) return summary;
  const client = deps.appstream(plan.region);
  if (plan.imageName) {
    const images = await client
      .send(new DescribeImagesCommand({ Names: [plan.imageName] }))
      .catch(() => undefined);
    const image = images?.Images?.[0];
    const tags = image?.Arn
      ? (await client.send(new ListTagsForResourceCommand({ ResourceArn: image.Arn })).catch(() => undefined))
          ?.Tags
      : undefined;
    summary.image = { name: plan.imageName, arn: image?.Arn, state: image?.State ?? 'NOT_FOUND', tags };
  }
  const builders = await client
    .send(new DescribeImageBuildersCommand({ Names: [plan.builderName] }))
    .catch((e: Error) => (e.name === 'ResourceNotFoundException' ? { ImageBuilders: [] } : undefined));
  summary.builder.state = builders ? (builders.ImageBuilders?.[0]?.State ?? 'DELETED') : 'UNKNOWN';
  return summary;
}
