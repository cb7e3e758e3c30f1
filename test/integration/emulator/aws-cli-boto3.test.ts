import { describe, expect, it } from 'vitest';
import { awsCliEnv, run } from '../../helpers/aws-cli';
import { useEmulator } from '../../helpers/emulator';

const f = useEmulator();

async function aws(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    'aws',
    ['appstream', ...args, '--endpoint-url', f.emu.endpoint, '--output', 'json'],
    {
      env: awsCliEnv(),
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

/** `aws <service> ...` for EC2 and STS (Query protocol, XML). */
async function awsQuery(service: string, ...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    'aws',
    [service, ...args, '--endpoint-url', f.emu.endpoint, '--output', 'json'],
    {
      env: awsCliEnv(),
    },
  );
  return stdout.trim() ? JSON.parse(stdout) : {};
}

describe('Emulator: AWS CLI for EC2 and STS (Query protocol)', () => {
  it('describes the default subnets with `aws ec2 describe-subnets`', async () => {
    const out = (await awsQuery(
      'ec2',
      'describe-subnets',
      '--filters',
      'Name=default-for-az,Values=true',
    )) as {
      Subnets: { CidrBlock: string; AvailableIpAddressCount: number; AvailabilityZone: string }[];
    };
    expect(out.Subnets.map((s) => [s.AvailabilityZone, s.CidrBlock, s.AvailableIpAddressCount])).toEqual([
      ['us-east-1a', '172.31.0.0/20', 4091],
      ['us-east-1b', '172.31.16.0/20', 4091],
      ['us-east-1c', '172.31.32.0/20', 4091],
    ]);
  });

  it('creates a VPC with `aws ec2 create-vpc` and reports EC2 errors by code', async () => {
    const out = (await awsQuery(
      'ec2',
      'create-vpc',
      '--cidr-block',
      '10.0.0.0/16',
      '--tag-specifications',
      'ResourceType=vpc,Tags=[{Key=Name,Value=cli}]',
    )) as { Vpc: { VpcId: string; CidrBlock: string; Tags: { Key: string; Value: string }[] } };
    expect(out.Vpc).toMatchObject({ CidrBlock: '10.0.0.0/16', Tags: [{ Key: 'Name', Value: 'cli' }] });
    await expect(awsQuery('ec2', 'delete-vpc', '--vpc-id', 'vpc-0123456789abcdef0')).rejects.toThrow(
      /InvalidVpcID\.NotFound/,
    );
  });

  it('answers `aws sts get-caller-identity`', async () => {
    expect(await awsQuery('sts', 'get-caller-identity')).toEqual({
      UserId: '123456789012',
      Account: '123456789012',
      Arn: 'arn:aws:iam::123456789012:root',
    });
  });
});

describe('Emulator: boto3 with endpoint_url', () => {
  it('parses EC2 and STS XML (describe_vpcs, create_subnet, assume_role, errors)', async () => {
    const script = `
import boto3, json, sys, botocore
kw = dict(endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='123456789012', aws_secret_access_key='s')
ec2 = boto3.client('ec2', **kw)
vpc = ec2.describe_vpcs(Filters=[{'Name': 'is-default', 'Values': ['true']}])['Vpcs'][0]
sub = ec2.create_subnet(VpcId=ec2.create_vpc(CidrBlock='10.1.0.0/16')['Vpc']['VpcId'], CidrBlock='10.1.0.0/28')['Subnet']
try:
    ec2.delete_subnet(SubnetId='subnet-0123456789abcdef0')
    err = None
except botocore.exceptions.ClientError as e:
    err = e.response['Error']['Code']
creds = boto3.client('sts', **kw).assume_role(RoleArn='arn:aws:iam::210987654321:role/Admin', RoleSessionName='py')['Credentials']
who = boto3.client('sts', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id=creds['AccessKeyId'],
                   aws_secret_access_key=creds['SecretAccessKey'], aws_session_token=creds['SessionToken']).get_caller_identity()
print(json.dumps({'vpc': vpc['CidrBlock'], 'free': sub['AvailableIpAddressCount'], 'err': err, 'account': who['Account'],
                  'expires': str(creds['Expiration'].year)}))
`;
    const { stdout } = await run('python3', ['-c', script, f.emu.endpoint], { env: awsCliEnv() });
    expect(JSON.parse(stdout)).toMatchObject({
      vpc: '172.31.0.0/16',
      free: 11,
      err: 'InvalidSubnetID.NotFound',
      account: '210987654321',
    });
  });

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
    const { stdout } = await run('python3', ['-c', script, f.emu.endpoint], { env: awsCliEnv() });
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ state: 'PENDING', err: 'OperationNotPermittedException', fleet: 'RUNNING' });
    expect(Number(out.created)).toBeGreaterThan(2020);
    expect(out.images).toBeGreaterThanOrEqual(7);
  });
});
