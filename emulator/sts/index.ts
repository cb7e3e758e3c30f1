import { createHash } from 'node:crypto';
import { accessKeyFor } from '../auth';
import { ServiceError } from '../errors';
import { identityOf as principalOf } from '../events/cloudtrail';
import type { QueryCtx, QueryServiceDefinition } from '../query/context';
import { loadQueryModel } from '../query/model';

/** IAM's default maximum session duration of a role (IAM User Guide, "Modifying a role maximum session duration"). */
export const DEFAULT_MAX_SESSION = 3600;
/** Role chaining (assuming a role with role credentials) is limited to one hour (IAM User Guide, "Role chaining"). */
const CHAINED_MAX_SESSION = 3600;

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/;

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Upper-case letters and digits derived from `text` (stable ids: AROA…, secret keys). */
function code(text: string, length: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'): string {
  const bytes = digest(text);
  let out = '';
  for (let i = 0; out.length < length; i++) out += alphabet[bytes[i % bytes.length] % alphabet.length];
  return out;
}

/**
 * Who is calling: an assumed role for keys this emulator issued, an IAM user for `AKIA…` keys,
 * else the account's root (events/cloudtrail.ts identityOf: CloudTrail records say the same).
 */
export function identityOf(ctx: QueryCtx): { Account: string; Arn: string; UserId: string } {
  const issued = ctx.world.issuedKeys.get(ctx.accessKeyId);
  if (issued) {
    if (issued.expiration <= ctx.now)
      throw new ServiceError('ExpiredToken', 'The security token included in the request is expired', 403);
    return { Account: issued.account, Arn: issued.arn, UserId: issued.userId };
  }
  const who = principalOf(ctx.accessKeyId, ctx.account, undefined);
  return { Account: who.accountId, Arn: who.arn, UserId: who.principalId };
}

/** A 4-character [A-Z0-9] suffix for the n-th key issued (36^4 ≈ 1.7 million distinct keys). */
const suffixFor = (n: number) => (n % 36 ** 4).toString(36).toUpperCase().padStart(4, '0');

/**
 * AWS STS: AssumeRole and GetCallerIdentity. AssumeRole returns credentials whose access key id
 * is `ASIA` + the role's account + 4 characters (auth.ts `accessKeyFor`), so later calls signed
 * with them land in that account. Every other STS operation answers NotImplemented.
 */
export function stsService(): QueryServiceDefinition {
  return {
    signingName: 'sts',
    model: loadQueryModel('sts'),
    handlers: {
      AssumeRole(input: { RoleArn: string; RoleSessionName: string; DurationSeconds?: number }, ctx) {
        const caller = identityOf(ctx);
        const m = ROLE_ARN.exec(input.RoleArn);
        if (!m)
          throw new ServiceError(
            'ValidationError',
            `1 validation error detected: Value '${input.RoleArn.slice(0, 2048)}' at 'roleArn' failed to satisfy constraint: Member must be a role ARN of the form arn:aws:iam::<12-digit account>:role/<name>`,
          );
        const [, account, , name] = m;
        const role = ctx.world.roles.get(input.RoleArn);
        // STS: a role that doesn't trust the caller (or doesn't exist) is AccessDenied, HTTP 403.
        if (role && !role.assumable)
          throw new ServiceError(
            'AccessDenied',
            `User: ${caller.Arn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`,
            403,
          );
        const duration = input.DurationSeconds ?? 3600;
        const chained = caller.Arn.includes(':assumed-role/');
        if (chained && duration > CHAINED_MAX_SESSION)
          throw new ServiceError(
            'ValidationError',
            'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
          );
        if (duration > (role?.maxSessionDuration ?? DEFAULT_MAX_SESSION))
          throw new ServiceError(
            'ValidationError',
            'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
          );
        const n = ctx.world.issuedKeys.size + 1;
        const accessKeyId = accessKeyFor(account, true, suffixFor(n));
        const roleId = `AROA${code(`role:${input.RoleArn}`, 17)}`;
        const userId = `${roleId}:${input.RoleSessionName}`;
        const arn = `arn:aws:sts::${account}:assumed-role/${name}/${input.RoleSessionName}`;
        const expiration = ctx.now + duration * 1000;
        ctx.world.issuedKeys.set(accessKeyId, {
          accessKeyId,
          account,
          arn,
          userId,
          expiration,
          roleArn: input.RoleArn,
          issuedAt: ctx.now,
        });
        const seed = `${ctx.requestId}/${accessKeyId}`;
        return {
          Credentials: {
            AccessKeyId: accessKeyId,
            SecretAccessKey: code(
              `secret:${seed}`,
              40,
              'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
            ),
            SessionToken: `IQoJb3JpZ2luX2VtdWxhdG9y${digest(`token:${seed}`).toString('base64url')}${digest(`token2:${seed}`).toString('base64url')}`,
            Expiration: expiration,
          },
          AssumedRoleUser: { AssumedRoleId: userId, Arn: arn },
          PackedPolicySize: 0,
        };
      },

      GetCallerIdentity(_input: unknown, ctx) {
        return identityOf(ctx);
      },
    },
  };
}
