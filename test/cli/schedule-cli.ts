import { autopilot as run } from '../helpers/cli';

/** `autopilot schedule <args>` in a child process, as a person runs it: exit code, stdout, stderr. */
export const autopilot = (args: string[]) =>
  run(['schedule', ...args], { env: { ...process.env, AWS_REGION: 'us-east-1' } });
