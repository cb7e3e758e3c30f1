import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Runs a program (the AWS CLI, python3 with boto3) and resolves with its output. */
export const run = promisify(execFile);

/** The environment the AWS CLI and boto3 are run with: the emulator's default account, no pager. */
export const awsCliEnv = () => ({
  ...process.env,
  AWS_ACCESS_KEY_ID: '123456789012',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_PAGER: '',
});
