/** The decide unit tests' policy, signals, builder and cleanup marks. */
import type { BuilderFacts, CleanupSignals } from '../../../lib/cleanup/decide';
import { HOUR } from '../../../lib/cleanup/duration';
import { type CleanupMark, formatMark } from '../../../lib/cleanup/marks';
import { type CleanupPolicyInput, validateCleanupPolicy } from '../../../lib/cleanup/policy';
import { TAG } from '../../../lib/tags';

/** Creation time of the builders: idle clocks start here unless something later is known. */
export const T0 = Date.parse('2026-11-26T10:00:00Z');

/** Warn after 2h, stop after 4h, delete 30d after stopping, notify nobody, in eu-west-1. */
export const policyOf = (extra: Partial<CleanupPolicyInput> = {}) =>
  validateCleanupPolicy({
    warnAfter: '2h',
    stopAfter: '4h',
    deleteStoppedAfter: '30d',
    notify: 'none',
    scope: { regions: ['eu-west-1'] },
    ...extra,
  });
export const POLICY = policyOf();
export const SIGNALS: CleanupSignals = { connectionSignal: true };

/** Builder dev-1, created at T0. */
export const builder = (state = 'RUNNING', extra: Partial<BuilderFacts> = {}): BuilderFacts => ({
  name: 'dev-1',
  state,
  createdAt: T0,
  ...extra,
});

/** Tags with the cleanup mark `m`. */
export const marked = (m: CleanupMark, tags: Record<string, string> = {}) => ({
  [TAG.cleanup]: formatMark(m),
  ...tags,
});

/** A RUNNING builder seen at creation and warned at T0 + 2h (stop planned at T0 + 4h). */
export const WARNED = marked({ seen: T0, warned: T0 + 2 * HOUR, plan: { op: 'stop', at: T0 + 4 * HOUR } });
