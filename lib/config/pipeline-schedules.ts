import { ConfigError } from '../errors';
import { pipelineFiles } from './catalog';
import { readPipelineFile, validatePipeline } from './load';

/** The image pipeline state machine's logical id (serverless.yml stepFunctions imagePipeline.id). */
export const PIPELINE_STATE_MACHINE_ID = 'ImagePipelineStepFunctionsStateMachine';
/** The one role every pipeline schedule uses: states:StartExecution on the image pipeline only. */
export const PIPELINE_SCHEDULES_ROLE_ID = 'PipelineSchedulesRole';

/** `office-apps` → `PipelineScheduleOfficeApps` (CloudFormation logical ids: letters and digits). */
export function scheduleLogicalId(pipeline: string): string {
  return `PipelineSchedule${pipeline
    .split('-')
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('')}`;
}

/** A CloudFormation fragment: what one `resources:` entry of serverless.yml holds. */
export interface ResourcesFragment {
  Resources?: Record<string, unknown>;
  Outputs?: Record<string, unknown>;
}

/**
 * One EventBridge Scheduler schedule per pipeline of `dir` that declares `schedule`, starting the
 * image pipeline with {"pipeline": "<name>"} (the bundled definition, read by Resolve), its cron
 * evaluated in the pipeline's time zone (ScheduleExpressionTimezone; AWS::Scheduler::Schedule,
 * CloudFormation reference), and the role they run with. Every file is validated in full: a
 * broken pipeline fails the package naming the file and the field, not the run a week later.
 * Generated at package time (deploy/pipeline-schedules.cjs), so a changed cron needs a deploy.
 */
export function pipelineScheduleResources(dir: string): ResourcesFragment {
  const resources: Record<string, unknown> = {};
  const ids = new Map<string, string>();
  for (const [name, file] of pipelineFiles(dir)) {
    const config = validatePipeline(readPipelineFile(file), file);
    if (config.name !== name) throw new ConfigError(`${file}: name: must be ${name} (the file's name)`);
    if (!config.schedule) continue;
    const id = scheduleLogicalId(name);
    const clash = ids.get(id);
    if (clash)
      throw new ConfigError(
        `${file}: pipelines ${clash} and ${name} map to one schedule id ${id}: rename one`,
      );
    ids.set(id, name);
    resources[id] = {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        Description: `appstream-autopilot: starts pipeline ${name} (its schedule)`,
        ScheduleExpression: config.schedule.cron,
        ScheduleExpressionTimezone: config.schedule.timezone,
        State: config.schedule.enabled ? 'ENABLED' : 'DISABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          // A templated target: the state machine's ARN means states:StartExecution (EventBridge
          // Scheduler user guide, "Using templated targets").
          Arn: { Ref: PIPELINE_STATE_MACHINE_ID },
          RoleArn: { 'Fn::GetAtt': [PIPELINE_SCHEDULES_ROLE_ID, 'Arn'] },
          Input: JSON.stringify({ pipeline: name }),
          // A start that keeps failing (throttling) is retried for an hour, then dropped: the
          // next scheduled run comes; a second concurrent run would be refused anyway (Resolve).
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
        },
      },
    };
  }
  if (ids.size === 0) return {};
  resources[PIPELINE_SCHEDULES_ROLE_ID] = {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description:
        'appstream-autopilot: EventBridge Scheduler starts the image pipeline (pipeline schedules)',
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Action: 'sts:AssumeRole',
            // Confused deputy: only schedules of this account (EventBridge Scheduler user guide,
            // "Setting up the execution role": aws:SourceAccount).
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
      Policies: [
        {
          PolicyName: 'start-image-pipeline',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 'states:StartExecution',
                Resource: { Ref: PIPELINE_STATE_MACHINE_ID },
              },
            ],
          },
        },
      ],
    },
  };
  return { Resources: resources };
}
