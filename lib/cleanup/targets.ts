/**
 * Where a cleanup run looks: every account × region of the policy's scope, in batches (one Map
 * iteration per batch, lib/cleanup/sweep.ts sweeps a batch's scopes in one function call).
 *
 * Why batches: Standard Step Functions bills every state transition ($0.025 per 1,000). One Map
 * iteration per account-region at 800 account-regions every 15 minutes (2,880 runs a month) is
 * 800 × 2,880 × ≥ 1 transition = 2.3M+ transitions, $58+ a month for the Sweep states alone, and
 * ~$200 once retries, Catch paths and Pass states are counted. 25 account-regions a batch makes
 * 32 iterations a run: (32 + ~5) × 2,880 ≈ 107,000 transitions, ~$2.70 a month. 25 scopes of ~10
 * builders each fit one function call comfortably (a few seconds unthrottled; the Sweep function
 * may run 10 minutes).
 */
import type { AccountAccess } from './deps';
import type { CleanupPolicy } from './policy';

/** One account × region to sweep; `roleArn`/`externalId` when it is reached through a role. */
export interface CleanupTarget {
  account: string;
  region: string;
  roleArn?: string;
  externalId?: string;
}

/** Account-regions per Map iteration (see above). */
export const DEFAULT_BATCH_SIZE = 25;

/**
 * The policy's scopes: no scope.accounts → `home` (the caller's own account, its own
 * credentials); else each listed account through its role, except `home` itself (own credentials:
 * a role in one's own account would only add an AssumeRole call).
 */
export function targetsOf(policy: CleanupPolicy, home: string): CleanupTarget[] {
  const accounts: { id: string; roleArn?: string; externalId?: string }[] = policy.scope.accounts ?? [
    { id: home },
  ];
  return accounts.flatMap((a) =>
    policy.scope.regions.map((region): CleanupTarget => {
      const t: CleanupTarget = { account: a.id, region };
      if (a.id !== home && a.roleArn) {
        t.roleArn = a.roleArn;
        if (a.externalId) t.externalId = a.externalId;
      }
      return t;
    }),
  );
}

/** Targets in batches of `size` (the last may be smaller), in order. */
export function batchesOf<T>(items: readonly T[], size = DEFAULT_BATCH_SIZE): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`batch size must be a positive whole number: ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The access (role) a target is reached with; undefined: own credentials. */
export const accessOf = (t: CleanupTarget): AccountAccess | undefined =>
  t.roleArn ? { roleArn: t.roleArn, ...(t.externalId ? { externalId: t.externalId } : {}) } : undefined;
