import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AssociateRouteTableCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { autopilot } from '../helpers/cli';
import { ACCOUNT, useEmulator } from '../helpers/emulator';

const dir = mkdtempSync(join(tmpdir(), 'cli-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const f = useEmulator();

function pipelineFile(name: string, lines: string[]) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'region: us-east-1',
      'builder:',
      '  instanceType: stream.standard.medium',
      '  image: latest:WINDOWS_SERVER_2022',
      ...lines,
      'build:',
      "  applications: [{ name: notepad, path: 'C:\\Windows\\notepad.exe' }]",
      '',
    ].join('\n'),
  );
  return file;
}

describe('autopilot pipeline validate', () => {
  it('refuses what a run would refuse: a name template rendering to a reserved prefix', async () => {
    const file = pipelineFile('reserved', ['image:', "  name: 'AppStream-{pipeline}'"]);
    const out = await autopilot(['pipeline', 'validate', file]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      /ConfigError: .*image\.name: 'AppStream-reserved' can't begin with Amazon, AWS or AppStream/,
    );
  });

  it('--preflight --endpoint-url lists every problem against a running emulator, and passes a good network', async () => {
    const ec2 = new EC2Client({
      endpoint: f.emu.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: ACCOUNT, secretAccessKey: 's' },
    });
    try {
      const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }))).Vpc!.VpcId!;
      const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.9.1.0/24' })))
        .Subnet!.SubnetId!;
      const rtb = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable!.RouteTableId!;
      await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: subnet }));
      const file = pipelineFile('office', [
        `  subnetIds: [${subnet}]`,
        'after:',
        '  rollOut: [{ fleet: nope }]',
      ]);

      const bad = await autopilot([
        'pipeline',
        'validate',
        file,
        '--preflight',
        '--endpoint-url',
        f.emu.endpoint,
      ]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('2 pre-flight problems');
      expect(bad.stderr).toContain("after.rollOut: fleet 'nope' does not exist in us-east-1");
      expect(bad.stderr).toContain(
        `builder.subnetIds: subnet ${subnet} (route table ${rtb}) has no way to S3`,
      );

      await ec2.send(
        new CreateVpcEndpointCommand({
          VpcId: vpc,
          ServiceName: 'com.amazonaws.us-east-1.s3',
          VpcEndpointType: 'Gateway',
          RouteTableIds: [rtb],
        }),
      );
      const good = await autopilot([
        'pipeline',
        'validate',
        pipelineFile('office2', [`  subnetIds: [${subnet}]`]),
        '--preflight',
        '--endpoint-url',
        f.emu.endpoint,
      ]);
      expect(good.stderr).toBe('');
      expect(good.stdout).toMatch(/valid pipeline 'office2', pre-flight passed against http/);
      expect(good.code).toBe(0);
    } finally {
      ec2.destroy();
    }
  });
});
