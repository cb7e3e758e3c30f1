import {
  CopyImageCommand,
  CreateDirectoryConfigCommand,
  CreateImageBuilderCommand,
  CreateStackCommand,
  DeleteDirectoryConfigCommand,
  DescribeDirectoryConfigsCommand,
  DescribeFleetsCommand,
  LimitExceededException,
  ResourceInUseException,
  ResourceNotFoundException,
  StartFleetCommand,
  UpdateDirectoryConfigCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { createFleet, privateImage } from '../../helpers/builders';
import { MIN, useEmulator, WIN2022 } from '../../helpers/emulator';

const f = useEmulator();

describe('Emulator: quotas on images and stacks', () => {
  it('refuses a copy beyond the image quota of the destination region', async () => {
    const client = f.client();
    f.emu.control.setQuotas({ images: 1 });
    await privateImage(f.emu, client, 'img1');
    await client.send(
      new CopyImageCommand({
        SourceImageName: 'img1',
        DestinationImageName: 'a',
        DestinationRegion: 'eu-west-1',
      }),
    );
    await expect(
      client.send(
        new CopyImageCommand({
          SourceImageName: 'img1',
          DestinationImageName: 'b',
          DestinationRegion: 'eu-west-1',
        }),
      ),
    ).rejects.toBeInstanceOf(LimitExceededException);
  });

  it('refuses a sixth stack', async () => {
    const client = f.client();
    for (let i = 1; i <= 5; i++) await client.send(new CreateStackCommand({ Name: `s${i}` }));
    await expect(client.send(new CreateStackCommand({ Name: 's6' }))).rejects.toBeInstanceOf(
      LimitExceededException,
    );
  });
});

describe('Emulator: fleet start failure', () => {
  it('a fleet whose start fails lands STOPPED with FleetErrors (FleetState has no FAILED)', async () => {
    const client = f.client();
    await createFleet(client);
    f.emu.control.failTransition({
      kind: 'fleet',
      name: 'f1',
      message: 'no capacity for stream.standard.medium',
    });
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    f.emu.control.advance(11 * MIN);
    const [fleet] = (await client.send(new DescribeFleetsCommand({ Names: ['f1'] }))).Fleets!;
    expect(fleet.State).toBe('STOPPED');
    expect(fleet.FleetErrors).toEqual([
      {
        ErrorCode: 'FLEET_INSTANCE_PROVISIONING_FAILURE',
        ErrorMessage: 'no capacity for stream.standard.medium',
      },
    ]);
  });
});

describe('Emulator: directory configs and domain-joined builders', () => {
  it('creates, updates and describes a directory config without ever returning the password', async () => {
    const client = f.client();
    await client.send(
      new CreateDirectoryConfigCommand({
        DirectoryName: 'corp.example.com',
        OrganizationalUnitDistinguishedNames: ['OU=AppStream,DC=corp,DC=example,DC=com'],
        ServiceAccountCredentials: { AccountName: 'CORP\\svc-appstream', AccountPassword: 'S3cret!' },
      }),
    );
    await client.send(
      new UpdateDirectoryConfigCommand({
        DirectoryName: 'corp.example.com',
        OrganizationalUnitDistinguishedNames: ['OU=New'],
      }),
    );
    const [d] = (await client.send(new DescribeDirectoryConfigsCommand({}))).DirectoryConfigs!;
    expect(d).toMatchObject({
      DirectoryName: 'corp.example.com',
      OrganizationalUnitDistinguishedNames: ['OU=New'],
    });
    expect(JSON.stringify(d)).not.toContain('S3cret!');
  });

  it('domain-joins builders only to configured directories, and keeps the config while in use', async () => {
    const client = f.client();
    const create = (DirectoryName: string) =>
      client.send(
        new CreateImageBuilderCommand({
          Name: 'joined',
          InstanceType: 'stream.standard.medium',
          ImageName: WIN2022,
          DomainJoinInfo: { DirectoryName, OrganizationalUnitDistinguishedName: 'OU=AppStream' },
        }),
      );
    await expect(create('unknown.example.com')).rejects.toBeInstanceOf(ResourceNotFoundException);
    await client.send(
      new CreateDirectoryConfigCommand({
        DirectoryName: 'corp.example.com',
        OrganizationalUnitDistinguishedNames: ['OU=AppStream'],
      }),
    );
    await create('corp.example.com');
    await expect(
      client.send(new DeleteDirectoryConfigCommand({ DirectoryName: 'corp.example.com' })),
    ).rejects.toBeInstanceOf(ResourceInUseException);
  });
});
