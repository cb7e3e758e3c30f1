import {
  AppStreamClient,
  DeleteImageBuilderCommand,
  StopImageBuilderCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-appstream';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { aws } from '../../../lib/aws/call';
import { act } from '../../../lib/cleanup/act';
import type { BuilderFacts, CleanupDecision } from '../../../lib/cleanup/decide';
import { TAG } from '../../../lib/tags';

const client = new AppStreamClient({ region: 'us-east-1', maxAttempts: 1 });
const mock = mockClient(client);
const call = aws;
const ARN = 'arn:aws:appstream:us-east-1:123456789012:image-builder/b1';
const running: BuilderFacts = { name: 'b1', state: 'RUNNING', arn: ARN };
const stopped: BuilderFacts = { ...running, state: 'STOPPED' };
const decision = (d: Partial<CleanupDecision>): CleanupDecision => ({
  action: 'none',
  reason: 'r',
  notify: true,
  ...d,
});
const stopTags = { set: { [TAG.cleanup]: 'stopped@2026-11-27T14:00Z' }, remove: [] };
const awsError = (name: string, status = 400) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('act: carries out one cleanup decision', () => {
  beforeEach(() => mock.reset());

  it('stops a RUNNING builder, then writes the marks', async () => {
    const out = await act(client, running, decision({ action: 'stop', tags: stopTags }), {
      dryRun: false,
      call,
    });
    expect(out).toEqual({ result: 'applied', writes: 2 });
    expect(mock.commandCalls(StopImageBuilderCommand)[0].args[0].input).toEqual({ Name: 'b1' });
    expect(mock.commandCalls(TagResourceCommand)[0].args[0].input).toEqual({
      ResourceArn: ARN,
      Tags: stopTags.set,
    });
    // Order: the stop first (a stopped@ mark on a RUNNING builder would restart its idle clock).
    expect(mock.calls()[0].args[0]).toBeInstanceOf(StopImageBuilderCommand);
  });

  it('deletes a STOPPED builder and writes no tag after', async () => {
    const out = await act(client, stopped, decision({ action: 'delete', tags: stopTags }), {
      dryRun: false,
      call,
    });
    expect(out.result).toBe('applied');
    expect(mock.commandCalls(DeleteImageBuilderCommand)).toHaveLength(1);
    expect(mock.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it('calls nothing in a dry run', async () => {
    for (const action of ['warn', 'stop', 'none'] as const) {
      const out = await act(client, running, decision({ action, tags: stopTags }), { dryRun: true, call });
      expect(out.result).toBe(action === 'none' ? undefined : 'dry-run');
    }
    expect(mock.calls()).toHaveLength(0);
  });

  it('only stops RUNNING and deletes STOPPED builders', async () => {
    const out = await act(client, { ...running, state: 'PENDING' }, decision({ action: 'stop' }), {
      dryRun: false,
      call,
    });
    expect(out.result).toBe('skipped');
    expect(mock.calls()).toHaveLength(0);
  });

  it('warns by writing the plan and removing what the decision removes', async () => {
    const tags = { set: { [TAG.cleanup]: 'stop@2026-11-27T14:00Z warned@2026-11-27T13:00Z' }, remove: ['x'] };
    const out = await act(client, running, decision({ action: 'warn', tags }), { dryRun: false, call });
    expect(out).toEqual({ result: 'applied', writes: 2 });
    expect(mock.commandCalls(UntagResourceCommand)[0].args[0].input).toEqual({
      ResourceArn: ARN,
      TagKeys: ['x'],
    });
  });

  it('skips a builder whose state changed since the listing (retried next run)', async () => {
    mock.on(StopImageBuilderCommand).rejects(awsError('OperationNotPermittedException'));
    const out = await act(client, running, decision({ action: 'stop', tags: stopTags }), {
      dryRun: false,
      call,
    });
    expect(out.result).toBe('skipped');
    expect(out.error).toMatch(/OperationNotPermittedException/);
    expect(mock.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it('throws AwsTransientError on throttling left after the retries; fails on anything else', async () => {
    mock.on(StopImageBuilderCommand).rejects(awsError('ThrottlingException'));
    await expect(
      act(client, running, decision({ action: 'stop' }), { dryRun: false, call }),
    ).rejects.toMatchObject({ name: 'AwsTransientError' });
    mock.on(StopImageBuilderCommand).rejects(awsError('AccessDeniedException'));
    const out = await act(client, running, decision({ action: 'stop' }), { dryRun: false, call });
    expect(out).toMatchObject({ result: 'failed', error: expect.stringMatching(/AccessDenied/) });
  });

  it('reports a stop whose marks could not be written as applied, with the missing marks', async () => {
    mock.on(TagResourceCommand).rejects(awsError('ThrottlingException'));
    const out = await act(client, running, decision({ action: 'stop', tags: stopTags }), {
      dryRun: false,
      call,
    });
    expect(out.result).toBe('applied');
    expect(out.error).toMatch(/marks not written/);
  });
});
