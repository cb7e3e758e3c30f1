/**
 * Hard limits the pipeline definition must fit in, in ONE place: the state machine's execution
 * `TimeoutSeconds` (statemachines/image-pipeline.asl.json) and the Lambda timeout (serverless.yml
 * `provider.timeout`) are checked against these constants by test/unit/local-runner-timeouts.test.ts.
 */

/**
 * The execution's `TimeoutSeconds`. When it fires Step Functions ends the execution TIMED_OUT with
 * `States.Timeout`, which no Catch sees ("a States.Timeout at the top level of a state machine
 * cannot be caught", ASL spec, Errors), so CleanupBuilder never runs: every bound must fit under it.
 */
export const EXECUTION_TIMEOUT_SECONDS = 86_400;

/** serverless.yml `provider.timeout`: a Lambda call past it is killed mid-poll. */
export const LAMBDA_TIMEOUT_SECONDS = 290;

/** Every Task's `TimeoutSeconds` in the ASL (longer than the Lambda timeout, so Lambda's fires first). */
export const TASK_TIMEOUT_SECONDS = 300;

/** Headroom a poll window leaves under the Lambda timeout for the last look (SDK retries) and start-up. */
export const LAMBDA_HEADROOM_SECONDS = 30;

/** The longest `polling.windowSeconds` that fits in one Lambda call. */
export const MAX_POLL_WINDOW_SECONDS = LAMBDA_TIMEOUT_SECONDS - LAMBDA_HEADROOM_SECONDS;

/**
 * Time a run spends outside the configured phase bounds, worst case: the Tasks without a bound of
 * their own (Resolve, EnsureBuilder, SubmitBuild, StartCopies, ShareImage, RetireImages, Notify:
 * 7 × TASK_TIMEOUT_SECONDS) and one poll window past each of the 5 bounded waits (a check notices a
 * deadline at its next look).
 */
export const FIXED_OVERHEAD_MINUTES = (7 * TASK_TIMEOUT_SECONDS + 5 * TASK_TIMEOUT_SECONDS) / 60;

/**
 * RollOut retries FleetBusy (ASL: IntervalSeconds 120, BackoffRate 1.5, MaxAttempts 10,
 * MaxDelaySeconds 900): 6,082 s of pauses plus 11 attempts of up to TASK_TIMEOUT_SECONDS.
 */
export const ROLLOUT_RETRY_MINUTES = Math.ceil((6_082.5 + 11 * TASK_TIMEOUT_SECONDS) / 60);
