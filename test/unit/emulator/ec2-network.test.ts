import { describe, expect, it } from 'vitest';
import { globMatch } from '../../../emulator/ec2/common';
import { cidrsOverlap, cidrWithin, Network, parseCidr, regionAbbrev } from '../../../emulator/ec2/network';
import { World } from '../../../emulator/world';

describe('Emulator: EC2 network model', () => {
  it('does IPv4 CIDR arithmetic', () => {
    expect(parseCidr('10.0.0.0/16')).toEqual({ base: 0x0a000000, prefix: 16, size: 65536, exact: true });
    expect(parseCidr('10.0.0.1/16')?.exact).toBe(false);
    expect(parseCidr('10.0.0.256/16')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(cidrsOverlap('10.0.0.0/24', '10.0.0.128/25')).toBe(true);
    expect(cidrsOverlap('10.0.0.0/25', '10.0.0.128/25')).toBe(false);
    expect(cidrWithin('10.0.1.0/24', '10.0.0.0/16')).toBe(true);
    expect(cidrWithin('10.1.0.0/24', '10.0.0.0/16')).toBe(false);
  });

  it('abbreviates regions as AWS zone ids do', () => {
    expect(
      ['us-east-1', 'eu-west-2', 'ap-southeast-2', 'ap-northeast-1', 'ca-central-1', 'us-gov-west-1'].map(
        regionAbbrev,
      ),
    ).toEqual(['use1', 'euw2', 'apse2', 'apne1', 'cac1', 'usgw1']);
  });

  it('matches filter wildcards in linear time', () => {
    expect(globMatch('10.0.*', '10.0.1.0/24')).toBe(true);
    expect(globMatch('us-east-1?', 'us-east-1b')).toBe(true);
    expect(globMatch('us-east-1?', 'us-east-1')).toBe(false);
    expect(globMatch('*a*b', 'xxaxxb')).toBe(true);
    expect(globMatch('*a*b', 'xxaxx')).toBe(false);
    // A pattern that makes a backtracking regex explode answers at once.
    const started = performance.now();
    expect(globMatch(`${'*a'.repeat(200)}b`, 'a'.repeat(5000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('hands out the lowest free address after the 4 reserved ones and takes it back', () => {
    const net = new Network('123456789012', 'us-east-1');
    const [a, b] = net.defaultSubnetIds();
    const first = net.allocateEni({ subnetIds: [a], owner: 'fleet/f', description: 'd' });
    const second = net.allocateEni({ subnetIds: [a], owner: 'fleet/f', description: 'd' });
    expect([first, second].map((e) => (typeof e === 'object' ? e.privateIp : e))).toEqual([
      '172.31.0.4',
      '172.31.0.5',
    ]);
    expect(net.enisOf('fleet/f')).toHaveLength(2);
    expect(net.releaseEnis('fleet/f', 1)).toBe(1);
    expect(net.enisOf('fleet/f').map((e) => e.privateIp)).toEqual(['172.31.0.4']);
    expect(net.freeIps(a)).toBe(4090);
    expect(net.freeIps(b)).toBe(4091);
    expect(net.missingSubnets([a, 'subnet-0123456789abcdef0'])).toEqual(['subnet-0123456789abcdef0']);
  });

  it('allocates and releases in O(log n) per interface: 12,000 builders in the default subnets take well under a second', () => {
    const net = new Network('123456789012', 'us-east-1');
    const subnets = net.defaultSubnetIds();
    const started = performance.now();
    // The old allocator scanned every interface per call (~n²: minutes for this loop).
    for (let i = 0; i < 12_000; i++) {
      const eni = net.allocateEni({ subnetIds: subnets, owner: `image-builder/b${i}`, description: 'd' });
      expect(typeof eni).toBe('object');
    }
    for (let i = 0; i < 12_000; i += 2) expect(net.releaseEnis(`image-builder/b${i}`)).toBe(1);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(subnets.map((s) => net.freeIps(s))).toEqual([2046, 2045, 2182]);
    // Freed addresses come back lowest first; the state file rebuilds the bookkeeping.
    const again = net.allocateEni({ subnetIds: subnets, owner: 'fleet/f', description: 'd' });
    expect(typeof again === 'object' && again.privateIp).toBe('172.31.0.4');
    const copy = Network.fromJSON(JSON.parse(JSON.stringify(net.toJSON())));
    expect(subnets.map((s) => copy.freeIps(s))).toEqual(subnets.map((s) => net.freeIps(s)));
    const next = copy.allocateEni({ subnetIds: subnets, owner: 'fleet/g', description: 'd' });
    expect(typeof next === 'object' && next.privateIp).toBe('172.31.0.6');
    expect(copy.enisOf('fleet/f')).toHaveLength(1);
    expect(copy.releaseEnis('fleet/f')).toBe(1);
    expect(copy.freeIps(subnets[0])).toBe(net.freeIps(subnets[0]));
  });

  it('survives the state file: networks, tags and issued STS keys', () => {
    const world = new World();
    const net = world.network('123456789012', 'eu-west-1');
    const vpc = net.addVpc('10.0.0.0/16');
    net.setTags(vpc.id, [{ Key: 'Name', Value: 'x' }]);
    net.allocateEni({ subnetIds: net.defaultSubnetIds(), owner: 'image-builder/b1', description: 'd' });
    world.issuedKeys.set('ASIA210987654321ABCD', {
      accessKeyId: 'ASIA210987654321ABCD',
      account: '210987654321',
      arn: 'a',
      userId: 'u',
      expiration: 1,
    });
    world.roles.set('arn:aws:iam::210987654321:role/r', { assumable: false });
    const saved = JSON.parse(JSON.stringify(world.toJSON()));
    const other = new World();
    other.load(saved);
    const loaded = other.network('123456789012', 'eu-west-1');
    expect(loaded.vpcs.size).toBe(2);
    expect(loaded.tagsOf(vpc.id)).toEqual({ Name: 'x' });
    expect(loaded.enisOf('image-builder/b1')).toHaveLength(1);
    expect(loaded.newId('vpc')).not.toBe(vpc.id);
    expect(other.issuedKeys.get('ASIA210987654321ABCD')?.account).toBe('210987654321');
    expect(other.roles.get('arn:aws:iam::210987654321:role/r')).toEqual({ assumable: false });
    other.reset();
    expect(other.network('123456789012', 'eu-west-1').vpcs.size).toBe(1);
  });
});
