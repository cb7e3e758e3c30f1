import { DescribeExecutionCommand, paginateListExecutions, type SFNClient } from '@aws-sdk/client-sfn';
import { aws } from '../aws/call';
import { pipelineNameOf } from '../config/catalog';
import type { Executions, ListedExecution, RunningExecution } from '../pipeline/deps';

/** `arn:aws:states:<region>:<account>:execution:<stateMachine>:<name>` → its state machine's ARN. */
export function stateMachineArnOf(executionArn: string): string | undefined {
  const p = executionArn.split(':');
  if (p.length < 8 || p[2] !== 'states' || p[5] !== 'execution') return undefined;
  return [...p.slice(0, 5), 'stateMachine', p[6]].join(':');
}

/**
 * The RUNNING executions of the pipeline state machine, from Step Functions itself (no database):
 * ListExecutions with statusFilter RUNNING, then DescribeExecution of each for its input's
 * `config.name` (Standard workflows keep the input; needs states:ListExecutions on the state
 * machine and states:DescribeExecution on its executions), or its `pipeline` when started by name.
 */
export class SfnExecutions implements Executions {
  constructor(private readonly sfn: (region: string) => SFNClient) {}

  async running(self: string | undefined): Promise<RunningExecution[]> {
    const arn = self && stateMachineArnOf(self);
    if (!arn) return [];
    const client = this.sfn(arn.split(':')[3]);
    const found: (RunningExecution & { arn?: string })[] = [];
    await aws('ListExecutions', async () => {
      for await (const page of paginateListExecutions(
        { client },
        { stateMachineArn: arn, statusFilter: 'RUNNING' },
      ))
        for (const e of page.executions ?? [])
          found.push({ name: e.name ?? '', startDate: e.startDate?.getTime() ?? 0, arn: e.executionArn });
    });
    for (const e of found) {
      const out = await aws('DescribeExecution', () =>
        client.send(new DescribeExecutionCommand({ executionArn: e.arn })),
      ).catch(() => undefined);
      try {
        // {"config": {...}} or {"pipeline": "<name>", ...} (lib/config/catalog.ts).
        const name = pipelineNameOf(JSON.parse(out?.input ?? '{}'));
        if (name) e.pipeline = name;
      } catch {
        // Not a pipeline input: no pipeline.
      }
    }
    return found.map(({ arn: _arn, ...e }) => e);
  }

  async list(stateMachineArn: string): Promise<ListedExecution[]> {
    const client = this.sfn(stateMachineArn.split(':')[3]);
    const found: ListedExecution[] = [];
    await aws('ListExecutions', async () => {
      for await (const page of paginateListExecutions({ client }, { stateMachineArn }))
        for (const e of page.executions ?? [])
          found.push({
            name: e.name ?? '',
            arn: e.executionArn ?? '',
            status: e.status ?? 'UNKNOWN',
            startDate: e.startDate?.getTime() ?? 0,
            ...(e.stopDate ? { stopDate: e.stopDate.getTime() } : {}),
          });
    });
    return found;
  }

  async input(executionArn: string): Promise<string | undefined> {
    const client = this.sfn(executionArn.split(':')[3]);
    const out = await aws('DescribeExecution', () =>
      client.send(new DescribeExecutionCommand({ executionArn })),
    ).catch(() => undefined);
    return out?.input;
  }
}
