import * as api from './api';
import * as backstopSweep from './backstop-sweep';
import * as checkBuild from './check-build';
import * as checkBuilder from './check-builder';
import * as checkCopies from './check-copies';
import * as checkImage from './check-image';
import * as cleanupBuilder from './cleanup-builder';
import * as cleanupPlan from './cleanup-plan';
import * as cleanupRecordConnection from './cleanup-record-connection';
import * as cleanupSummarize from './cleanup-summarize';
import * as cleanupSweep from './cleanup-sweep';
import * as ensureBuilder from './ensure-builder';
import * as executionBackstop from './execution-backstop';
import * as finishBuilder from './finish-builder';
import * as hooks from './hooks';
import * as notify from './notify';
import * as resolve from './resolve';
import * as retireImages from './retire-images';
import * as rollOut from './roll-out';
import * as scheduleApply from './schedule-apply';
import * as scheduleEvaluate from './schedule-evaluate';
import * as scheduleReport from './schedule-report';
import * as shareImage from './share-image';
import * as startCopies from './start-copies';
import * as submitBuild from './submit-build';

/** Every function, by the name serverless.yml and the state machines use. */
export const functions = {
  resolve,
  ensureBuilder,
  checkBuilder,
  submitBuild,
  checkBuild,
  checkImage,
  finishBuilder,
  startCopies,
  checkCopies,
  shareImage,
  rollOut,
  retireImages,
  notify,
  cleanupBuilder,
  /** Not in the state machine: EventBridge calls it when an execution ends ABORTED/TIMED_OUT/FAILED. */
  executionBackstop,
  /** Not in the state machine: an hourly schedule; the backstop's net for lost events. */
  backstopSweep,
};

export type FunctionName = keyof typeof functions;

/**
 * The fleet schedule's functions (ScheduleDeps, not PipelineDeps: local/pipeline.ts hands every
 * entry of `functions` the pipeline's deps, so they live in their own map). Names are unique
 * across both maps: serverless.yml's `${self:custom.lambda.<name>}` names are global.
 */
export const scheduleFunctions = {
  scheduleEvaluate,
  scheduleApply,
  scheduleReport,
};

export type ScheduleFunctionName = keyof typeof scheduleFunctions;

/**
 * Idle builder cleanup's functions (CleanupDeps): the state machine's three steps and, not in the
 * state machine, the connection recorder an EventBridge rule calls (CONNECTION_EVENT_PATTERN).
 */
export const cleanupFunctions = {
  cleanupPlan,
  cleanupSweep,
  cleanupSummarize,
  cleanupRecordConnection,
};

export type CleanupFunctionName = keyof typeof cleanupFunctions;

/**
 * The webhooks API (lib/api/app.ts, API Gateway HTTP API): `api` serves the IAM routes, `hooks` the
 * signed webhook routes. Not in any state machine; their `withDeps` takes ApiDeps.
 */
export const apiFunctions = {
  api,
  hooks,
};

export type ApiFunctionName = keyof typeof apiFunctions;

/** Every deployed function of every workflow, by its serverless.yml name. */
export const allFunctions = { ...functions, ...scheduleFunctions, ...cleanupFunctions, ...apiFunctions };
