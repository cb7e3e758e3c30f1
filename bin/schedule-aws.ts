/** `autopilot schedule run --aws`: one execution of the deployed fleet-schedule state machine. */
import { type SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { executionName, failedExecutionLine, STATE_MACHINE_ARN, withSfn } from '../lib/cli/aws-executions';
import type { ScheduleFile } from '../lib/schedule/config';
import { expandReport, type RunOutput } from '../lib/schedule/report';
import { UsageError } from './schedule-args';
import { reportLines } from './schedule-report';

/**
 * `--state-machine-arn` of an `--aws` command: required, and a state machine's ARN (its region is
 * the client's unless `--region` says otherwise); `workflow` names the deployed one in the message.
 */
export function stateMachineArnOption(arn: string | undefined, workflow: string): string {
  const example = `arn:aws:states:<region>:<account>:stateMachine:appstream-autopilot-<stage>-${workflow}`;
  if (!arn)
    throw new UsageError(
      `--aws needs --state-machine-arn (the deployed ${workflow} state machine, ${example})`,
    );
  if (!STATE_MACHINE_ARN.test(arn))
    throw new UsageError(`--state-machine-arn: '${arn}' is not a state machine ARN (${example})`);
  return arn;
}

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
  const arn = stateMachineArnOption(stateMachineArn, 'fleet-schedule');
  return withSfn(arn, region, sfn, async (client) => {
    const name = executionName('schedule', Date.now());
    const out = await client.send(
      new StartSyncExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify({ config }) }),
    );
    if (out.status !== 'SUCCEEDED') {
      console.error(failedExecutionLine(out));
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
  });
}
