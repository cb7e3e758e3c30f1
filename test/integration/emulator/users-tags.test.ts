import {
  BatchAssociateUserStackCommand,
  BatchDisassociateUserStackCommand,
  CreateUserCommand,
  DeleteUserCommand,
  DescribeUserStackAssociationsCommand,
  DescribeUsersCommand,
  DisableUserCommand,
  EnableUserCommand,
  InvalidParameterCombinationException,
  LimitExceededException,
  ListTagsForResourceCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { createBuilder, createStack } from '../../helpers/builders';
import { useEmulator } from '../../helpers/emulator';

const f = useEmulator();

const user = (UserName: string) => ({ UserName, AuthenticationType: 'USERPOOL' as const });

describe('Emulator: user pool users', () => {
  it('creates, disables, enables and deletes a user', async () => {
    const client = f.client();
    await client.send(new CreateUserCommand({ ...user('alice@example.com'), FirstName: 'Alice' }));
    await expect(client.send(new CreateUserCommand(user('alice@example.com')))).rejects.toBeInstanceOf(
      ResourceAlreadyExistsException,
    );
    await client.send(new DisableUserCommand(user('alice@example.com')));
    let [u] = (await client.send(new DescribeUsersCommand({ AuthenticationType: 'USERPOOL' }))).Users!;
    expect(u).toMatchObject({ UserName: 'alice@example.com', Enabled: false, FirstName: 'Alice' });
    await client.send(new EnableUserCommand(user('alice@example.com')));
    [u] = (await client.send(new DescribeUsersCommand({ AuthenticationType: 'USERPOOL' }))).Users!;
    expect(u.Enabled).toBe(true);
    await client.send(new DeleteUserCommand(user('alice@example.com')));
    expect((await client.send(new DescribeUsersCommand({ AuthenticationType: 'USERPOOL' }))).Users).toEqual(
      [],
    );
    await expect(client.send(new DeleteUserCommand(user('alice@example.com')))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('only manages USERPOOL users', async () => {
    await expect(
      f.client().send(new CreateUserCommand({ UserName: 'x', AuthenticationType: 'SAML' })),
    ).rejects.toBeInstanceOf(InvalidParameterCombinationException);
  });

  it('associates users with stacks in batches, reporting per-item errors', async () => {
    const client = f.client();
    await createStack(client);
    await client.send(new CreateUserCommand(user('a@example.com')));
    const out = await client.send(
      new BatchAssociateUserStackCommand({
        UserStackAssociations: [
          { StackName: 's1', ...user('a@example.com') },
          { StackName: 'nope', ...user('a@example.com') },
          { StackName: 's1', ...user('ghost@example.com') },
        ],
      }),
    );
    expect(out.errors!.map((e) => e.ErrorCode)).toEqual(['STACK_NOT_FOUND', 'USER_NAME_NOT_FOUND']);
    const assoc = await client.send(new DescribeUserStackAssociationsCommand({ StackName: 's1' }));
    expect(assoc.UserStackAssociations).toEqual([
      { StackName: 's1', UserName: 'a@example.com', AuthenticationType: 'USERPOOL' },
    ]);
    await client.send(
      new BatchDisassociateUserStackCommand({
        UserStackAssociations: [{ StackName: 's1', ...user('a@example.com') }],
      }),
    );
    expect(
      (await client.send(new DescribeUserStackAssociationsCommand({ StackName: 's1' })))
        .UserStackAssociations,
    ).toEqual([]);
    await expect(client.send(new DescribeUserStackAssociationsCommand({}))).rejects.toBeInstanceOf(
      InvalidParameterCombinationException,
    );
  });
});

describe('Emulator: tags', () => {
  it('tags, lists and untags a builder by ARN, including tags given at creation', async () => {
    const client = f.client();
    const b = await createBuilder(client, 'b1', { Tags: { team: 'euc' } });
    await client.send(new TagResourceCommand({ ResourceArn: b.Arn!, Tags: { env: 'prod' } }));
    expect((await client.send(new ListTagsForResourceCommand({ ResourceArn: b.Arn! }))).Tags).toEqual({
      team: 'euc',
      env: 'prod',
    });
    await client.send(new UntagResourceCommand({ ResourceArn: b.Arn!, TagKeys: ['team'] }));
    expect((await client.send(new ListTagsForResourceCommand({ ResourceArn: b.Arn! }))).Tags).toEqual({
      env: 'prod',
    });
  });

  it('rejects unknown resources, aws: keys and more than 50 tags on a resource', async () => {
    const client = f.client();
    const b = await createBuilder(client, 'b1', { Tags: { team: 'euc' } });
    await expect(
      client.send(
        new ListTagsForResourceCommand({
          ResourceArn: 'arn:aws:appstream:us-east-1:123456789012:fleet/none',
        }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      client.send(new TagResourceCommand({ ResourceArn: b.Arn!, Tags: { 'aws:x': '1' } })),
    ).rejects.toThrow(
      /at 'tags.key' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    await expect(
      client.send(new TagResourceCommand({ ResourceArn: b.Arn!, Tags: many })),
    ).rejects.toBeInstanceOf(LimitExceededException);
  });
});
