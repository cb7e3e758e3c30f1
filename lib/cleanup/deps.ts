import type { AppStreamClient } from '@aws-sdk/client-appstream';
import type { Clock } from '../clock';

/**
 * Everything the idle builder cleanup cores talk to; passed in, never built inside a core.
 * Deployed: lib/lambda/cleanup-deps.ts (from the environment); locally: the emulator (its
 * virtual clock), e.g. local/cleanup-events.ts recorderLocalDeps.
 */
export interface CleanupDeps {
  /** This deployment's name (TAG.deployment): `<service>-<stage>` on AWS, `local` locally. */
  deployment: string;
  /** The deployment's own region. */
  region: string;
  /**
   * The AppStream client acting in `account` and `region`: the deployment's own account with its
   * own credentials, any other through the role the deployment was given for it (scope.accounts
   * roleArn; deployed: CLEANUP_ACCOUNT_ROLES). An account with no way in throws ConfigError.
   */
  appstream(account: string, region: string): AppStreamClient;
  clock: Clock;
}

/** What the connection recorder (lib/cleanup/recorder.ts) needs. */
export type RecorderDeps = Pick<CleanupDeps, 'appstream'>;
