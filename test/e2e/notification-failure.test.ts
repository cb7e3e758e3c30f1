import { afterEach, describe, expect, it } from 'vitest';
import { setMetricSink } from '../../lib/notify/metrics';
import { runPipelineLocally } from '../../local/pipeline';
import { useEmulator } from '../helpers/emulator';
import { samplePipeline } from '../helpers/pipeline';

const f = useEmulator({ jitterSigma: 0 });

describe('a notification that fails (local runtime against the emulator)', () => {
  afterEach(() => {
    setMetricSink((line) => process.stdout.write(`${line}\n`));
  });

  it('does not fail the run, is counted as NotificationFailed and shows in the run summary', async () => {
    const metrics: string[] = [];
    setMetricSink((l) => metrics.push(l));
    const { result, summary } = await runPipelineLocally({
      config: samplePipeline({
        after: { notify: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:events' } },
      } as never),
      emulator: f.emu,
      executionName: 'notify-fails',
      notifier: {
        publish: async () => {
          throw Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException' });
        },
      },
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({
      notification: { notified: false, error: 'NotFoundException: Topic does not exist' },
    });
    expect(summary.notificationError).toBe('NotFoundException: Topic does not exist');
    expect(metrics.map((m) => JSON.parse(m))).toEqual([
      expect.objectContaining({ NotificationFailed: 1, Pipeline: 'e2e' }),
    ]);
  });
});
