import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../../helpers/emulator';

const run = promisify(execFile);
const f = useEmulator();

const env = () => ({
  ...process.env,
  AWS_ACCESS_KEY_ID: '123456789012',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_PAGER: '',
});

async function aws(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    'aws',
    ['appstream', ...args, '--endpoint-url', f.emu.endpoint, '--output', 'json'],
    {
      env: env(),
    },
  );
  return stdout.trim() ? JSON.parse(stdout) : {};
}

describe('Emulator: AWS CLI with --endpoint-url', () => {
  it('creates, describes, stops and deletes an image builder', async () => {
    const created = await aws(
      'create-image-builder',
      '--name',
      'cli-b',
      '--instance-type',
      'stream.standard.medium',
      '--image-name',
      'AppStream-WinServer2022-10-14-2025',
    );
    expect(created.ImageBuilder).toMatchObject({ Name: 'cli-b', State: 'PENDING' });
    f.emu.control.advance(13 * 60_000);
    const described = (await aws('describe-image-builders', '--names', 'cli-b')) as {
      ImageBuilders: { State: string }[];
    };
    expect(described.ImageBuilders[0].State).toBe('RUNNING');
    expect((await aws('stop-image-builder', '--name', 'cli-b')).ImageBuilder).toMatchObject({
      State: 'STOPPING',
    });
    f.emu.control.advance(3 * 60_000);
    expect((await aws('delete-image-builder', '--name', 'cli-b')).ImageBuilder).toMatchObject({
      State: 'DELETING',
    });
  });

  it('reports AWS errors with their exception name', async () => {
    await expect(aws('stop-image-builder', '--name', 'ghost')).rejects.toThrow(/ResourceNotFoundException/);
  });

  it('waits with `aws appstream wait fleet-started`', async () => {
    await aws(
      'create-fleet',
      '--name',
      'cli-f',
      '--instance-type',
      'stream.standard.medium',
      '--image-name',
      'AppStream-WinServer2022-10-14-2025',
      '--compute-capacity',
      'DesiredInstances=1',
    );
    await aws('start-fleet', '--name', 'cli-f');
    f.emu.control.advance(11 * 60_000);
    await expect(aws('wait', 'fleet-started', '--names', 'cli-f')).resolves.toEqual({});
  });
});

describe('Emulator: boto3 with endpoint_url', () => {
  it('runs a builder flow and a fleet waiter', async () => {
    const script = `
import boto3, json, sys
c = boto3.client('appstream', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='123456789012', aws_secret_access_key='s')
b = c.create_image_builder(Name='py-b', InstanceType='stream.standard.medium',
                           ImageName='AppStream-WinServer2022-10-14-2025')['ImageBuilder']
images = c.get_paginator('describe_images').paginate(Type='PUBLIC').build_full_result()['Images']
try:
    c.stop_image_builder(Name='py-b')
    err = None
except c.exceptions.OperationNotPermittedException as e:
    err = e.response['Error']['Code']
import urllib.request
c.create_fleet(Name='py-f', InstanceType='stream.standard.medium', ImageName='AppStream-WinServer2022-10-14-2025',
               ComputeCapacity={'DesiredInstances': 1})
c.start_fleet(Name='py-f')
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + '/_emulator/clock', data=b'{"advanceSeconds": 900}', method='POST'))
c.get_waiter('fleet_started').wait(Names=['py-f'], WaiterConfig={'Delay': 1, 'MaxAttempts': 3})
fleet = c.describe_fleets(Names=['py-f'])['Fleets'][0]
print(json.dumps({'state': b['State'], 'created': str(b['CreatedTime'].year), 'images': len(images), 'err': err,
                  'fleet': fleet['State']}))
`;
    const { stdout } = await run('python3', ['-c', script, f.emu.endpoint], { env: env() });
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ state: 'PENDING', err: 'OperationNotPermittedException', fleet: 'RUNNING' });
    expect(Number(out.created)).toBeGreaterThan(2020);
    expect(out.images).toBeGreaterThanOrEqual(7);
  });
});
