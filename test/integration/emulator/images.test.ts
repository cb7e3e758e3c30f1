import {
  CopyImageCommand,
  CreateImageBuilderCommand,
  CreateUpdatedImageCommand,
  DeleteImageCommand,
  DeleteImagePermissionsCommand,
  DescribeImagePermissionsCommand,
  DescribeImagesCommand,
  InvalidParameterCombinationException,
  OperationNotPermittedException,
  ResourceAlreadyExistsException,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateImagePermissionsCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { createFleet, imageState, privateImage, runningBuilder } from '../../helpers/builders';
import { ACCOUNT, MIN, OTHER_ACCOUNT, useEmulator } from '../../helpers/emulator';

const f = useEmulator();

describe('Emulator: seeded public images', () => {
  it('lists realistic public base images with ARNs, platforms and release dates', async () => {
    const images = (await f.client().send(new DescribeImagesCommand({ Type: 'PUBLIC' }))).Images!;
    const platforms = new Set(images.map((i) => i.Platform));
    for (const p of ['WINDOWS_SERVER_2019', 'WINDOWS_SERVER_2022', 'AMAZON_LINUX2'])
      expect(platforms).toContain(p);
    for (const i of images) {
      expect(i.Arn).toBe(`arn:aws:appstream:us-east-1::image/${i.Name}`);
      expect(i.PublicBaseImageReleasedDate).toBeInstanceOf(Date);
      expect(i.State).toBe('AVAILABLE');
    }
    expect(images.some((i) => i.Name!.includes('Sample') && i.Applications!.length > 0)).toBe(true);
    expect(images.filter((i) => i.ImageBuilderSupported === false).map((i) => i.Name)).toEqual([
      'AppStream-WinServer2016-12-12-2023',
    ]);
  });

  it('pages DescribeImages with MaxResults (at most 25)', async () => {
    const client = f.client();
    const first = await client.send(new DescribeImagesCommand({ MaxResults: 4 }));
    expect(first.Images).toHaveLength(4);
    const rest = await client.send(new DescribeImagesCommand({ MaxResults: 4, NextToken: first.NextToken }));
    expect(rest.Images!.map((i) => i.Name)).not.toContain(first.Images![0].Name);
    await expect(client.send(new DescribeImagesCommand({ MaxResults: 26 }))).rejects.toThrow(
      /Value '?26'? at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 25/,
    );
  });

  it('filters by Names and by Arns, but not both', async () => {
    const client = f.client();
    const [one] = (await client.send(new DescribeImagesCommand({ Type: 'PUBLIC', MaxResults: 1 }))).Images!;
    expect(
      (await client.send(new DescribeImagesCommand({ Arns: [one.Arn!] }))).Images!.map((i) => i.Name),
    ).toEqual([one.Name]);
    await expect(
      client.send(new DescribeImagesCommand({ Names: [one.Name!], Arns: [one.Arn!] })),
    ).rejects.toBeInstanceOf(InvalidParameterCombinationException);
    await expect(client.send(new DescribeImagesCommand({ Names: ['missing'] }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });
});

describe('Emulator: DeleteImage', () => {
  it('deletes a private image', async () => {
    const client = f.client();
    await privateImage(f.emu, client, 'img1');
    const out = await client.send(new DeleteImageCommand({ Name: 'img1' }));
    expect(out.Image).toMatchObject({ Name: 'img1', State: 'DELETING' });
    await expect(client.send(new DescribeImagesCommand({ Names: ['img1'] }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('refuses to delete an image a fleet uses, with ResourceInUseException', async () => {
    const client = f.client();
    await privateImage(f.emu, client, 'img1');
    await createFleet(client, 'f1', { ImageName: 'img1' });
    await expect(client.send(new DeleteImageCommand({ Name: 'img1' }))).rejects.toBeInstanceOf(
      ResourceInUseException,
    );
  });

  it('refuses to delete a public image', async () => {
    await expect(
      f.client().send(new DeleteImageCommand({ Name: 'AppStream-WinServer2022-10-14-2025' })),
    ).rejects.toBeInstanceOf(OperationNotPermittedException);
  });
});

describe('Emulator: CopyImage', () => {
  it('copies a private image to another region, COPYING then AVAILABLE there', async () => {
    const client = f.client();
    await privateImage(f.emu, client, 'img1');
    const out = await client.send(
      new CopyImageCommand({
        SourceImageName: 'img1',
        DestinationImageName: 'img1-copy',
        DestinationRegion: 'eu-west-1',
      }),
    );
    expect(out.DestinationImageName).toBe('img1-copy');
    const eu = f.client({ region: 'eu-west-1' });
    expect(await imageState(eu, 'img1-copy')).toBe('COPYING');
    f.emu.control.advance(21 * MIN);
    const [copy] = (await eu.send(new DescribeImagesCommand({ Names: ['img1-copy'] }))).Images!;
    expect(copy).toMatchObject({
      State: 'AVAILABLE',
      Arn: `arn:aws:appstream:eu-west-1:${ACCOUNT}:image/img1-copy`,
    });
  });

  it('rejects an existing destination name and reserved image names', async () => {
    const client = f.client();
    await privateImage(f.emu, client, 'img1');
    const copy = (name: string) =>
      client.send(
        new CopyImageCommand({
          SourceImageName: 'img1',
          DestinationImageName: name,
          DestinationRegion: 'us-east-1',
        }),
      );
    await expect(copy('img1')).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await expect(copy('AmazonCopy')).rejects.toThrow(/can't begin with 'Amazon', 'AWS' or 'AppStream'/);
  });
});

describe('Emulator: CreateUpdatedImage', () => {
  it('reports canUpdateImage on a dry run without creating anything, then creates the updated image', async () => {
    const client = f.client();
    await runningBuilder(f.emu, client, 'old-agent');
    // A builder pinned to an old agent produces an image that can be updated.
    await client.send(
      new CreateImageBuilderCommand({
        Name: 'pinned',
        InstanceType: 'stream.standard.medium',
        ImageName: 'AppStream-WinServer2022-10-14-2025',
        AppstreamAgentVersion: '1.1.1000',
      }),
    );
    f.emu.control.advance(13 * MIN);
    f.emu.control.imageAssistant({
      builderName: 'pinned',
      argv: ['add-application', '--name', 'a', '--absolute-app-path', 'C:\\a.exe'],
    });
    f.emu.control.imageAssistant({ builderName: 'pinned', argv: ['create-image', '--name', 'old'] });
    f.emu.control.advance(41 * MIN);
    const dry = await client.send(
      new CreateUpdatedImageCommand({ existingImageName: 'old', newImageName: 'new', dryRun: true }),
    );
    expect(dry.canUpdateImage).toBe(true);
    await expect(client.send(new DescribeImagesCommand({ Names: ['new'] }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    const real = await client.send(
      new CreateUpdatedImageCommand({
        existingImageName: 'old',
        newImageName: 'new',
        newImageTags: { v: '2' },
      }),
    );
    expect(real.image).toMatchObject({ Name: 'new', State: 'PENDING', LatestAppstreamAgentVersion: 'TRUE' });
    f.emu.control.advance(46 * MIN);
    expect(await imageState(client, 'new')).toBe('AVAILABLE');
  });

  it('refuses to update an image that is already current', async () => {
    const client = f.client();
    await privateImage(f.emu, client, 'img1');
    const dry = await client.send(
      new CreateUpdatedImageCommand({ existingImageName: 'img1', newImageName: 'x', dryRun: true }),
    );
    expect(dry.canUpdateImage).toBe(false);
    await expect(
      client.send(new CreateUpdatedImageCommand({ existingImageName: 'img1', newImageName: 'x' })),
    ).rejects.toBeInstanceOf(OperationNotPermittedException);
  });
});

describe('Emulator: image permissions', () => {
  it('shares an image with another account, which then sees it as SHARED and can use it', async () => {
    const client = f.client();
    await privateImage(f.emu, client, 'img1');
    await client.send(
      new UpdateImagePermissionsCommand({
        Name: 'img1',
        SharedAccountId: OTHER_ACCOUNT,
        ImagePermissions: { allowFleet: true, allowImageBuilder: false },
      }),
    );
    const perms = await client.send(new DescribeImagePermissionsCommand({ Name: 'img1' }));
    expect(perms.SharedImagePermissionsList).toEqual([
      { sharedAccountId: OTHER_ACCOUNT, imagePermissions: { allowFleet: true, allowImageBuilder: false } },
    ]);
    const other = f.client({ account: OTHER_ACCOUNT });
    const shared = (await other.send(new DescribeImagesCommand({ Type: 'SHARED' }))).Images!;
    expect(shared.map((i) => [i.Name, i.Visibility])).toEqual([['img1', 'SHARED']]);
    await expect(createFleet(other, 'f1', { ImageName: 'img1' })).resolves.toMatchObject({
      ImageName: 'img1',
    });
    await expect(
      other.send(
        new CreateImageBuilderCommand({
          Name: 'b',
          InstanceType: 'stream.standard.medium',
          ImageName: 'img1',
        }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);

    await client.send(new DeleteImagePermissionsCommand({ Name: 'img1', SharedAccountId: OTHER_ACCOUNT }));
    expect((await other.send(new DescribeImagesCommand({ Type: 'SHARED' }))).Images).toEqual([]);
  });
});
