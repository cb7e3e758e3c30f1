import type { PipelineDeps } from './deps';
import type { PipelineState } from './types';

/** Tells the configured topic how the run ended (success or failure with its classified error). */
export async function notifyOutcome(
  input: {
    /** The state machine's whole state: config and plan may be missing when Resolve failed. */
    state: Record<string, unknown>;
    outcome: 'SUCCEEDED' | 'FAILED';
    error?: { Error?: string; Cause?: string };
  },
  deps: PipelineDeps,
): Promise<{ notified: boolean }> {
  const { plan, config } = input.state as Partial<PipelineState>;
  const topicArn = config?.after?.notify?.topicArn;
  const pipeline = plan?.pipeline ?? (config as { name?: string } | undefined)?.name ?? 'unknown';
  await deps.notifier.publish({
    topicArn,
    subject: `AppStream image pipeline ${pipeline}: ${input.outcome}`,
    message: {
      pipeline,
      outcome: input.outcome,
      image: plan?.imageName,
      region: plan?.region,
      builder: plan?.builderName,
      error: input.error?.Error,
      cause: input.error?.Cause,
      cleanup: input.state.cleanup,
      at: new Date(deps.clock.now()).toISOString(),
    },
  });
  return { notified: Boolean(topicArn) };
}
