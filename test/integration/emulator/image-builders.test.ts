import {
  CreateImageBuilderCommand,
  CreateImageBuilderStreamingURLCommand,
  DeleteImageBuilderCommand,
  DescribeImageBuildersCommand,
  IncompatibleImageException,
  InvalidParameterCombinationException,
  InvalidRoleException,
  LimitExceededException,
  OperationNotPermittedException,
  ResourceAlreadyExistsException,
  ResourceNotAvailableException,
  ResourceNotFoundException,
  StartImageBuilderCommand,
  StopImageBuilderCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { builderState, createBuilder, runningBuilder } from '../../helpers/builders';
import { ACCOUNT, MIN, useEmulator } from '../../helpers/emulator';

const f = useEmulator();

describe('Emulator: CreateImageBuilder', () => {
  it('creates a PENDING builder from a public image that becomes RUNNING after the launch time', async () => {
    const client = f.client();
    const b = await createBuilder(client, 'b1', { Tags: { team: 'euc' }, DisplayName: 'Builder one' });
    expect(b).toMatchObject({
      Name: 'b1',
      State: 'PENDING',
      Arn: `arn:aws:appstream:us-east-1:${ACCOUNT}:image-builder/b1`,
      Platform: 'WINDOWS_SERVER_2022',
      InstanceType: 'stream.standard.medium',
      DisplayName: 'Builder one',
    });
    expect(b.CreatedTime).toBeInstanceOf(Date);
    f.emu.control.advance(11 * MIN);
    expect(await builderState(client)).toBe('PENDING');
    f.emu.control.advance(1 * MIN);
    expect(await builderState(client)).toBe('RUNNING');
  });

  it('rejects a duplicate name with ResourceAlreadyExistsException', async () => {
    const client = f.client();
    await createBuilder(client);
    await expect(createBuilder(client)).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
  });

  it('rejects an unknown image with ResourceNotFoundException naming it', async () => {
    await expect(createBuilder(f.client(), 'b1', { ImageName: 'no-such-image' })).rejects.toThrow(
      expect.objectContaining({
        name: 'ResourceNotFoundException',
        message: expect.stringContaining('no-such-image'),
      }),
    );
  });

  it('rejects a deprecated base image with IncompatibleImageException', async () => {
    await expect(
      createBuilder(f.client(), 'b1', { ImageName: 'AppStream-WinServer2016-12-12-2023' }),
    ).rejects.toBeInstanceOf(IncompatibleImageException);
  });

  it('requires exactly one of ImageName and ImageArn', async () => {
    const client = f.client();
    await expect(
      client.send(new CreateImageBuilderCommand({ Name: 'b1', InstanceType: 'stream.standard.medium' })),
    ).rejects.toBeInstanceOf(InvalidParameterCombinationException);
  });

  it('rejects an invalid IAM role with InvalidRoleException', async () => {
    await expect(
      createBuilder(f.client(), 'b1', { IamRoleArn: 'arn:aws:s3:::bucket' }),
    ).rejects.toBeInstanceOf(InvalidRoleException);
  });

  it('rejects an invalid name with a ValidationException naming the member', async () => {
    await expect(createBuilder(f.client(), '-bad name')).rejects.toThrow(
      expect.objectContaining({
        name: 'ValidationException',
        message: expect.stringMatching(
          /^1 validation error detected: Value '-bad name' at 'name' failed to satisfy constraint/,
        ),
      }),
    );
  });

  it('enforces the image builder quota (5 by default) with LimitExceededException', async () => {
    const client = f.client();
    for (let i = 1; i <= 5; i++) await createBuilder(client, `b${i}`);
    await expect(createBuilder(client, 'b6')).rejects.toBeInstanceOf(LimitExceededException);
    f.emu.control.setQuotas({ imageBuilders: 6, imageBuilderInstances: 6 });
    await expect(createBuilder(client, 'b6')).resolves.toMatchObject({ Name: 'b6' });
  });

  it('keeps builders per account and per region', async () => {
    await createBuilder(f.client(), 'b1');
    const other = f.client({ account: '210987654321' });
    const west = f.client({ region: 'us-west-2' });
    expect((await other.send(new DescribeImageBuildersCommand({}))).ImageBuilders).toEqual([]);
    expect((await west.send(new DescribeImageBuildersCommand({}))).ImageBuilders).toEqual([]);
    await expect(createBuilder(other, 'b1')).resolves.toMatchObject({
      Arn: 'arn:aws:appstream:us-east-1:210987654321:image-builder/b1',
    });
  });
});

describe('Emulator: DescribeImageBuilders', () => {
  it('pages with MaxResults and NextToken', async () => {
    const client = f.client();
    f.emu.control.setQuotas({ imageBuilders: 10, imageBuilderInstances: 10 });
    for (let i = 1; i <= 7; i++) await createBuilder(client, `b${i}`);
    const first = await client.send(new DescribeImageBuildersCommand({ MaxResults: 3 }));
    expect(first.ImageBuilders!.map((b) => b.Name)).toEqual(['b1', 'b2', 'b3']);
    const second = await client.send(
      new DescribeImageBuildersCommand({ MaxResults: 3, NextToken: first.NextToken }),
    );
    const third = await client.send(
      new DescribeImageBuildersCommand({ MaxResults: 3, NextToken: second.NextToken }),
    );
    expect(third.ImageBuilders!.map((b) => b.Name)).toEqual(['b7']);
    expect(third.NextToken).toBeUndefined();
  });

  it('answers ResourceNotFoundException when a named builder does not exist', async () => {
    await expect(
      f.client().send(new DescribeImageBuildersCommand({ Names: ['nope'] })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('Emulator: image builder actions by state', () => {
  it('stops a RUNNING builder through STOPPING to STOPPED, starts it again through PENDING', async () => {
    const client = f.client();
    await runningBuilder(f.emu, client);
    const stopped = await client.send(new StopImageBuilderCommand({ Name: 'b1' }));
    expect(stopped.ImageBuilder!.State).toBe('STOPPING');
    f.emu.control.advance(3 * MIN);
    expect(await builderState(client)).toBe('STOPPED');
    const started = await client.send(new StartImageBuilderCommand({ Name: 'b1' }));
    expect(started.ImageBuilder!.State).toBe('PENDING');
    f.emu.control.advance(10 * MIN);
    expect(await builderState(client)).toBe('RUNNING');
  });

  it('rejects StopImageBuilder on a PENDING builder with OperationNotPermittedException', async () => {
    const client = f.client();
    await createBuilder(client);
    await expect(client.send(new StopImageBuilderCommand({ Name: 'b1' }))).rejects.toBeInstanceOf(
      OperationNotPermittedException,
    );
  });

  it('rejects StartImageBuilder unless STOPPED, with an exception StartImageBuilder declares', async () => {
    const client = f.client();
    await runningBuilder(f.emu, client);
    await expect(client.send(new StartImageBuilderCommand({ Name: 'b1' }))).rejects.toBeInstanceOf(
      ResourceNotAvailableException,
    );
  });

  it('rejects DeleteImageBuilder on a RUNNING builder, deletes a STOPPED one through DELETING', async () => {
    const client = f.client();
    await runningBuilder(f.emu, client);
    await expect(client.send(new DeleteImageBuilderCommand({ Name: 'b1' }))).rejects.toBeInstanceOf(
      OperationNotPermittedException,
    );
    await client.send(new StopImageBuilderCommand({ Name: 'b1' }));
    f.emu.control.advance(3 * MIN);
    const deleted = await client.send(new DeleteImageBuilderCommand({ Name: 'b1' }));
    expect(deleted.ImageBuilder!.State).toBe('DELETING');
    f.emu.control.advance(1 * MIN);
    expect((await client.send(new DescribeImageBuildersCommand({}))).ImageBuilders).toEqual([]);
  });

  it('blocks every action while STOPPING', async () => {
    const client = f.client();
    await runningBuilder(f.emu, client);
    await client.send(new StopImageBuilderCommand({ Name: 'b1' }));
    for (const cmd of [
      new StopImageBuilderCommand({ Name: 'b1' }),
      new DeleteImageBuilderCommand({ Name: 'b1' }),
      new CreateImageBuilderStreamingURLCommand({ Name: 'b1' }),
    ])
      await expect(client.send(cmd as never)).rejects.toBeInstanceOf(OperationNotPermittedException);
    await expect(client.send(new StartImageBuilderCommand({ Name: 'b1' }))).rejects.toBeInstanceOf(
      ResourceNotAvailableException,
    );
  });

  it('answers ResourceNotFoundException for unknown builders', async () => {
    await expect(f.client().send(new StopImageBuilderCommand({ Name: 'ghost' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });
});

describe('Emulator: CreateImageBuilderStreamingURL', () => {
  it('returns a URL that expires after the requested validity on a RUNNING builder', async () => {
    const client = f.client();
    await runningBuilder(f.emu, client);
    const now = f.emu.world.now();
    const out = await client.send(new CreateImageBuilderStreamingURLCommand({ Name: 'b1', Validity: 600 }));
    expect(out.StreamingURL).toMatch(
      /^https:\/\/appstream2\.us-east-1\.aws\.amazon\.com\/authenticate\?parameters=/,
    );
    expect(Math.abs(out.Expires!.getTime() - (now + 600_000))).toBeLessThan(2000);
  });

  it('rejects a builder that is not RUNNING', async () => {
    const client = f.client();
    await createBuilder(client);
    await expect(
      client.send(new CreateImageBuilderStreamingURLCommand({ Name: 'b1' })),
    ).rejects.toBeInstanceOf(OperationNotPermittedException);
  });
});
