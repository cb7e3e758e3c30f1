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
  /** Owning run (execution name) of a builder or image. */
  execution: 'autopilot:execution',
  /** Fleets: the schedule that sizes this fleet. */
  schedule: 'autopilot:schedule',
  /** Fleets: temporary override `capacity@until`. */
  override: 'autopilot:override',
  /**
   * Fleets, builders: last action and reason, written by the workflow that acted. Image pipeline:
   * `started by run <execution id>` on a `builder.existing` a run started (the execution backstop
   * stops such a builder only then; lib/pipeline/housekeeping.ts startedByRunTag).
   */
  lastAction: 'autopilot:last-action',
  /** Builders: cleanup opt-out (`true`, `stop-only`, `no-notify`, or an ISO date = until). */
  keep: 'autopilot:keep',
  /** Builders: mark-for-op plan, e.g. `stop@2026-11-27T14:00Z`. */
  cleanup: 'autopilot:cleanup',
  /** Builders: last connection or presence seen. */
  lastConnection: 'autopilot:last-connection',
} as const;

export type TagKey = (typeof TAG)[keyof typeof TAG];

/** AWS tag values: letters, separators, numbers and `_ . : / = + - @`, at most 256 characters. */
const TAG_VALUE_ALLOWED = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;
export const MAX_TAG_VALUE = 256;

/**
 * Makes any text a valid tag value (e.g. a reason "New Year's Day" → "New Year s Day"):
 * characters AWS refuses become spaces, runs of spaces collapse, the result is cut to 256.
 */
export function tagValue(text: string): string {
  return text.replace(TAG_VALUE_ALLOWED, ' ').replace(/\s+/g, ' ').trim().slice(0, MAX_TAG_VALUE);
}

/** True when `value` is a valid AWS tag value as it stands. */
export function isTagValue(value: string): boolean {
  return value.length <= MAX_TAG_VALUE && !new RegExp(TAG_VALUE_ALLOWED.source, 'u').test(value);
}
