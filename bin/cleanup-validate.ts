/** `autopilot cleanup validate`: checks a cleanup policy file (errors name the field). */
import { formatDuration } from '../lib/cleanup/duration';
import type { CleanupPolicy } from '../lib/cleanup/policy';
import { LOCAL_ACCOUNT } from '../local/local-deps';
import { loadPolicyFile } from './cleanup-args';
import { parseOptions, UsageError } from './schedule-args';

export const VALIDATE_HELP = `Usage: autopilot cleanup validate <policy> [--json]

Validates a cleanup policy (YAML or JSON, see examples/cleanup.yaml) and prints what it means:
thresholds, defaults filled in, and the accounts × regions it sweeps. An invalid policy exits 1
with one line naming the field.
  --json      prints {"valid": true, "policy": <the policy, durations as text>, "scopes": n}
  -h, --help  this help`;

/** The policy with durations in the file's syntax again (defaults filled in). */
export function describePolicy(p: CleanupPolicy) {
  const d = (ms: number | undefined) => (ms === undefined ? undefined : formatDuration(ms));
  return {
    ...p,
    warnAfter: d(p.warnAfter),
    stopAfter: d(p.stopAfter),
    deleteStoppedAfter: d(p.deleteStoppedAfter),
    deleteWarnBefore: d(p.deleteWarnBefore),
    minNotice: d(p.minNotice),
    sessionGrace: d(p.sessionGrace),
  };
}

export async function validateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, { json: { type: 'boolean' } });
  if (values.help) {
    console.log(VALIDATE_HELP);
    return 0;
  }
  const path = positionals[0];
  if (!path) throw new UsageError('a policy file is required (autopilot cleanup validate <policy>)');
  const { policy } = loadPolicyFile(path);
  const accounts = policy.scope.accounts?.map((a) => a.id) ?? [];
  const scopes = Math.max(1, accounts.length) * policy.scope.regions.length;
  if (values.json) {
    console.log(JSON.stringify({ valid: true, policy: describePolicy(policy), scopes }));
    return 0;
  }
  const p = describePolicy(policy);
  console.log(`${path}: valid cleanup policy`);
  console.log(
    `  idle RUNNING builders: warn after ${p.warnAfter}, stop after ${p.stopAfter} (at least ${p.minNotice} after the warning)`,
  );
  console.log(
    p.deleteStoppedAfter
      ? `  STOPPED builders: deleted after ${p.deleteStoppedAfter}, warned ${p.deleteWarnBefore} before`
      : '  STOPPED builders: never deleted (no deleteStoppedAfter)',
  );
  console.log(
    `  a connection keeps a builder alive for sessionGrace ${p.sessionGrace}; without a connection signal: ${policy.withoutConnectionSignal}`,
  );
  console.log(
    `  opt-out tag ${policy.optOutTag}${policy.dryRun ? '; dryRun: decides and reports only' : ''}`,
  );
  console.log(
    `  scope: ${accounts.length ? `${accounts.length} account(s) (${accounts.join(', ')})` : `the caller's account (locally ${LOCAL_ACCOUNT})`} × ${policy.scope.regions.length} region(s) (${policy.scope.regions.join(', ')}) = ${scopes} account-region(s)`,
  );
  console.log(
    `  notify: ${policy.notify ? `${policy.notify.topicArn} (${policy.notify.actions.join(', ')})` : 'none'}`,
  );
  return 0;
}
