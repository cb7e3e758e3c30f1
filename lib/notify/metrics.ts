/**
 * CloudWatch metrics as Embedded Metric Format log lines: Lambda sends stdout to CloudWatch Logs,
 * which extracts a metric from every JSON line with an `_aws.CloudWatchMetrics` directive
 * (CloudWatch User Guide, "Specification: Embedded metric format"). No extra client or permission.
 */
export const METRICS_NAMESPACE = 'AppStreamAutopilot';

export type MetricSink = (line: string) => void;

let sink: MetricSink = (line) => process.stdout.write(`${line}\n`);

/** Tests capture the lines; returns the previous sink. */
export function setMetricSink(next: MetricSink): MetricSink {
  const prev = sink;
  sink = next;
  return prev;
}

/** Counts one occurrence of `name` with these dimensions (e.g. `{ Pipeline: 'office' }`). */
export function countMetric(name: string, dimensions: Record<string, string>, at = Date.now()): void {
  sink(
    JSON.stringify({
      _aws: {
        Timestamp: at,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [Object.keys(dimensions)],
            Metrics: [{ Name: name, Unit: 'Count' }],
          },
        ],
      },
      ...dimensions,
      [name]: 1,
    }),
  );
}
