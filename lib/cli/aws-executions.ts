import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { PipelineConfig } from '../config/pipeline';

/** Starts the deployed image pipeline with a validated definition as input. */
export async function startPipelineExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  config: PipelineConfig,
): Promise<string> {
  // Execution names: 1-80 of letters, digits, - and _ (Step Functions rule).
  const safeName = name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
  const out = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name: safeName, input: JSON.stringify({ config }) }),
  );
  return out.executionArn!;
}

/** One-paragraph status of an execution. */
export async function describePipelineExecution(sfn: SFNClient, executionArn: string): Promise<string> {
  const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const lines = [`${out.name}: ${out.status}${out.error ? ` — ${out.error}: ${out.cause}` : ''}`];
  lines.push(
    `  started ${out.startDate?.toISOString()}${out.stopDate ? `, stopped ${out.stopDate.toISOString()}` : ''}`,
  );
  if (out.output) {
    const o = JSON.parse(out.output) as {
      plan?: { imageName?: string; builderName?: string; region?: string };
    };
    if (o.plan) lines.push(`  image ${o.plan.imageName} (${o.plan.region}), builder ${o.plan.builderName}`);
  }
  return lines.join('\n');
}
