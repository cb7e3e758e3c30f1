import { logger } from '../lambda/logger';
import { countMetric } from '../notify/metrics';
import { billingAlert } from './builder';
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
): Promise<{ notified: boolean; error?: string }> {
  const { plan, config } = input.state as Partial<PipelineState>;
  const topicArn = config?.after?.notify?.topicArn;
  const pipeline = plan?.pipeline ?? (config as { name?: string } | undefined)?.name ?? 'unknown';
  // A builder cleanup could not stop: say so first, in the subject too (≤ 100 characters).
  const alert = billingAlert(input.state);
  const notification = {
    topicArn,
    subject: `AppStream image pipeline ${pipeline}: ${input.outcome}${alert ? ' - BUILDER STILL BILLING' : ''}`,
    message: {
      ...(alert ? { alert } : {}),
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
  };
  try {
    await deps.notifier.publish(notification);
  } catch (err) {
    // Nobody may hear about this run: never silent. Logged as an error, counted (metric
    // NotificationFailed, alarmable), and returned into the execution's state ($.notification).
    const error = `${(err as Error).name}: ${(err as Error).message}`;
    logger.error('notification failed', { pipeline, topicArn, outcome: input.outcome, error });
    countMetric('NotificationFailed', { Pipeline: pipeline }, deps.clock.now());
    return { notified: false, error };
  }
  return { notified: Boolean(topicArn) };
}
