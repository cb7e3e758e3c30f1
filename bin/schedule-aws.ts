/** `autopilot schedule run --aws`: one execution of the deployed fleet-schedule state machine. */
import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { executionName } from '../lib/cli/aws-executions';
import type { ScheduleFile } from '../lib/schedule/config';
import { expandReport, type RunOutput } from '../lib/schedule/report';
import { UsageError } from './schedule-args';
import { reportLines } from './schedule-report';

/**
 * Runs the deployed state machine once with the schedule file as its input (`{config}`: the
 * workflow takes the input's file over its bundled one) and prints its report. The state machine
 * is an Express workflow (serverless.yml): StartSyncExecution runs it and answers with its output
 * (a run takes seconds; Express allows 5 minutes). Express executions can't be described
 * afterwards: their history is the state machine's CloudWatch log group.
 */
export async function runOnAws(
  config: ScheduleFile,
  stateMachineArn: string | undefined,
  region: string | undefined,
  json: boolean,
  sfn?: SFNClient,
): Promise<number> {
  if (!stateMachineArn)
    throw new UsageError(
      '--aws needs --state-machine-arn (the deployed fleet-schedule state machine, …:stateMachine:appstream-autopilot-<stage>-fleet-schedule)',
    );
  const client = sfn ?? new SFNClient({ region: region ?? stateMachineArn.split(':')[3] });
  try {
    const name = executionName('schedule', Date.now());
    const out = await client.send(
      new StartSyncExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ config }) }),
    );
    if (out.status !== 'SUCCEEDED') {
      console.error(
        `${out.executionArn}: ${out.status}${out.error ? ` — ${out.error}: ${out.cause ?? ''}` : ''}`,
      );
      return 1;
    }
    // The execution's output is compact (RunOutput): expanded to one row per fleet.
    const report = expandReport(JSON.parse(out.output ?? '{}') as RunOutput);
    if (json) console.log(JSON.stringify(report));
    else {
      console.log(`${out.executionArn}: ${out.status}`);
      for (const line of reportLines(report)) console.log(line);
    }
    return report.failed?.length ? 1 : 0;
  } finally {
    if (!sfn) client.destroy();
  }
}
