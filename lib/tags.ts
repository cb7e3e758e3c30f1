/**
 * The tag contract shared by every workflow (see README "Tag contract"): tags are our state store
 * and what a person sees in the console, and IAM conditions key on them. Every workflow, test and
 * IAM condition imports the keys from here.
 */
export const TAG = {
  /** `true` on anything appstream-autopilot created (IAM conditions key on it). */
  managed: 'autopilot:managed',
  /** Owning pipeline of a builder or image (copies too). */
  pipeline: 'autopilot:pipeline',
  /**
   * Owning deployment (`<service>-<stage>` of serverless.yml, env AUTOPILOT_DEPLOYMENT; `local`
   * for the local runtime) of a builder, image or copy: retention, pruning and the backstop
   * touch only resources of their own deployment, so two stages in one account never act on
   * each other's builders or images.
   */
  deployment: 'autopilot:deployment',
  /** Owning run (execution name) of a builder or image. */
  execution: 'autopilot:execution',
  /** Fleets: the schedule that sizes this fleet. */
  schedule: 'autopilot:schedule',
  /** Fleets: temporary override `capacity@until`. */
  override: 'autopilot:override',
  /**
   * Fleets, builders: last action and reason, written by the workflow that acted. Image pipeline:
   * `started by run <execution id>` on a `builder.existing` a run started (the execution backstop
   * stops such a builder only then; lib/pipeline/housekeeping.ts startedByRunTag), `stopped by run
   * <execution id>` once the run or its backstop left it stopped (stoppedByRunTag: the backstop
   * leaves such a builder alone).
   */
  lastAction: 'autopilot:last-action',
  /** Builders: cleanup opt-out (`true`, `stop-only`, `no-notify`, or an ISO date = until). */
  keep: 'autopilot:keep',
  /** Builders: mark-for-op plan, e.g. `stop@2026-11-27T14:00Z`. */
  cleanup: 'autopilot:cleanup',
  /** Builders: last connection, presence heartbeat and creation/start seen (the cleanup recorder). */
  lastConnection: 'autopilot:last-connection',
  /**
   * Builders: who created it (the CreateImageBuilder event's userIdentity.arn as a tag value),
   * written once by the cleanup recorder; cleanup's notifications name it.
   */
  creator: 'autopilot:creator',
} as const;

/** The deployment name of the runtime in `env` (serverless.yml sets AUTOPILOT_DEPLOYMENT). */
export function deploymentName(env: Record<string, string | undefined> = process.env): string {
  return env.AUTOPILOT_DEPLOYMENT || 'local';
}

/** Keep-tag values (TAG.keep) that forbid deleting a builder. */
const KEEP_FOREVER = ['true', 'stop-only'];

/**
 * True when a builder's TAG.keep forbids deleting it at `now` (epoch ms): `true`, `stop-only`, or
 * an ISO instant (the keep lasts until then) or date (through the end of that day, UTC) not yet
 * passed. `no-notify` only silences
 * notifications; an unparsable value keeps the builder (a person meant to keep it).
 */
export function keepActive(value: string | undefined, now: number): boolean {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'false' || v === 'no-notify') return false;
  if (KEEP_FOREVER.includes(v)) return true;
  const text = value.trim();
  const until = Date.parse(text);
  if (Number.isNaN(until)) return true;
  // A bare date keeps through the end of that day (UTC), as cleanup's optOut reads it.
  return (/^\d{4}-\d{2}-\d{2}$/.test(text) ? until + 86_400_000 : until) > now;
}

export type TagKey = (typeof TAG)[keyof typeof TAG];

/**
 * AWS tag values: letters, separators, numbers and `_ . : / = + - @`, at most 256 characters,
 * counted as Unicode characters (code points), not UTF-16 units ("The tag value length is from 0
 * to 256 Unicode characters in UTF-8", Tag.Value in the AWS API references, e.g. Athena's).
 */
const TAG_VALUE_ALLOWED = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;
export const MAX_TAG_VALUE = 256;

/**
 * Makes any text a valid tag value (e.g. a reason "New Year's Day" → "New Year s Day"):
 * characters AWS refuses become spaces, runs of spaces collapse, the result is cut to 256.
 */
export function tagValue(text: string): string {
  const clean = text.replace(TAG_VALUE_ALLOWED, ' ').replace(/\s+/g, ' ').trim();
  // By code points: slicing UTF-16 units could split an astral character's surrogate pair.
  return [...clean].slice(0, MAX_TAG_VALUE).join('').trimEnd();
}

/** True when `value` is a valid AWS tag value as it stands. */
export function isTagValue(value: string): boolean {
  return [...value].length <= MAX_TAG_VALUE && !new RegExp(TAG_VALUE_ALLOWED.source, 'u').test(value);
}
