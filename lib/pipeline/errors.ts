/**
 * The pipeline's errors, with stable names (see lib/errors.ts). The generic ones (config, AWS,
 * the transient list) live in lib/errors.ts and are re-exported here for existing imports.
 */
import { named } from '../errors';

export { BuildAgentOutdated } from '../agent/errors';
export {
  AwsRequestError,
  AwsTransientError,
  ConfigError,
  NamedError,
  TRANSIENT_ERRORS,
} from '../errors';

/** No base image matched `latest:<platform>` or the name/ARN given. */
export const BaseImageNotFound = named('BaseImageNotFound');
export const BuilderStartTimeout = named('BuilderStartTimeout');
export const BuilderFailed = named('BuilderFailed');
export const BuildTimeout = named('BuildTimeout');
/** A build command exited non-zero on the builder. */
export const BuildCommandFailed = named('BuildCommandFailed');
/** The Image Assistant CLI answered a non-zero status. */
export const ImageAssistantError = named('ImageAssistantError');
/** The builder's agent refused the job (bad or missing signature, expired, another builder's). */
export const BuildAgentRefused = named('BuildAgentRefused');
/** No agent picked the job up in time, or its heartbeats stopped (lease expired). */
export const BuildAgentLost = named('BuildAgentLost');
export const ImageFailed = named('ImageFailed');
export const ImageTimeout = named('ImageTimeout');
/**
 * after.rollOut names a fleet the deployment may not update: RollOut's only UpdateFleet grant is on
 * the fleets the bundled pipelines name (ALLOWED_ROLLOUT_FLEETS, deploy/rollout-fleet-grants.cjs).
 * Thrown by Resolve, before any builder is launched; a configuration error, never retried.
 */
export const RollOutFleetNotAllowed = named('RollOutFleetNotAllowed');
/** A fleet to roll out to is STARTING or STOPPING; the state machine retries later. */
export const FleetBusy = named('FleetBusy');
export const CopyFailed = named('CopyFailed');
export const CopyTimeout = named('CopyTimeout');
/** The builder did not reach STOPPED (or go away) in time after the image was done. */
export const BuilderStopTimeout = named('BuilderStopTimeout');
/**
 * Another run of this pipeline is still going (its builder is tagged with an execution that is
 * still RUNNING); set `concurrency.allowParallel: true` to allow parallel runs.
 */
export const PipelineAlreadyRunning = named('PipelineAlreadyRunning');
/**
 * The pre-flight found problems a run would otherwise hit an hour in (image name taken, fleet or
 * subnet missing, no route to S3 for the agent, …): one line per problem, naming the field.
 */
export const PreflightFailed = named('PreflightFailed');
