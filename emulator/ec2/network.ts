/**
 * The network of one account in one region: the EC2 resources (VPCs, subnets, security groups,
 * route tables, gateways, endpoints, Elastic IPs, network interfaces) and their tags. EC2 API
 * handlers (emulator/ec2/*.ts) read and change it; AppStream resources take and release their
 * elastic network interfaces through `allocateEni` / `releaseEnis`.
 *
 * Each account+region starts with AWS's default VPC: 172.31.0.0/16, one default /20 subnet per
 * availability zone (3 AZs), a default security group, a main route table with 0.0.0.0/0 → an
 * internet gateway (EC2 User Guide, "Default VPCs": components of a default VPC).
 */

export interface Eni {
  id: string;
  subnetId: string;
  vpcId: string;
  privateIp: string;
  securityGroupIds: string[];
  description: string;
  owner: string;
}

export type EniFailure =
  | 'SUBNET_NOT_FOUND'
  | 'SECURITY_GROUPS_NOT_FOUND'
  | 'SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES';

export type Tags = Record<string, string>;

export interface VpcRec {
  id: string;
  cidr: string;
  cidrAssociationId: string;
  isDefault: boolean;
  instanceTenancy: string;
  dhcpOptionsId: string;
  state: 'pending' | 'available';
  /** ModifyVpcAttribute; absent = the default (DNS support on; DNS hostnames on for the default VPC only). */
  enableDnsSupport?: boolean;
  enableDnsHostnames?: boolean;
  enableNetworkAddressUsageMetrics?: boolean;
}

export interface SubnetRec {
  id: string;
  vpcId: string;
  cidr: string;
  az: string;
  azId: string;
  defaultForAz: boolean;
  mapPublicIpOnLaunch: boolean;
  state: 'pending' | 'available';
  /** ModifySubnetAttribute (absent = false / `ip-name`). */
  enableDns64?: boolean;
  hostnameType?: 'ip-name' | 'resource-name';
  enableResourceNameDnsARecord?: boolean;
  enableResourceNameDnsAAAARecord?: boolean;
}

export interface SgRule {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges: { CidrIp: string; Description?: string }[];
  UserIdGroupPairs: { GroupId: string; UserId: string; Description?: string }[];
}

export interface SgRec {
  id: string;
  name: string;
  description: string;
  vpcId: string;
  ingress: SgRule[];
  egress: SgRule[];
}

export interface RouteRec {
  destinationCidr?: string;
  destinationPrefixListId?: string;
  gatewayId?: string;
  natGatewayId?: string;
  networkInterfaceId?: string;
  origin: 'CreateRouteTable' | 'CreateRoute' | 'EnableVgwRoutePropagation';
  state: 'active' | 'blackhole';
}

export interface RouteTableAssocRec {
  id: string;
  main: boolean;
  subnetId?: string;
}

export interface RouteTableRec {
  id: string;
  vpcId: string;
  routes: RouteRec[];
  associations: RouteTableAssocRec[];
}

export interface IgwRec {
  id: string;
  attachments: { vpcId: string; state: 'available' }[];
}

export interface AddressRec {
  allocationId: string;
  publicIp: string;
  associationId?: string;
  networkInterfaceId?: string;
  privateIp?: string;
}

export interface NatRec {
  id: string;
  subnetId: string;
  vpcId: string;
  connectivityType: 'public' | 'private';
  allocationId?: string;
  /** Absent for a NAT gateway that failed at creation (it never got an interface). */
  eniId?: string;
  privateIp?: string;
  state: 'pending' | 'available' | 'deleting' | 'deleted' | 'failed';
  createTime: number;
  deleteTime?: number;
  /** Why creation fails (NatGateway.FailureCode/FailureMessage): the gateway goes pending → failed. */
  failureCode?: string;
  failureMessage?: string;
}

export interface EndpointRec {
  id: string;
  vpcId: string;
  serviceName: string;
  type: 'Gateway' | 'Interface' | 'GatewayLoadBalancer';
  state: 'available' | 'deleted';
  routeTableIds: string[];
  policyDocument: string;
  createTime: number;
}

export interface EniRec extends Eni {
  az: string;
  requesterManaged: boolean;
  interfaceType: string;
  status: 'available' | 'in-use';
}

export interface AzInfo {
  name: string;
  id: string;
}

/** AWS's zone-id abbreviation of a region: us-east-1 → use1, ap-southeast-2 → apse2. */
export function regionAbbrev(region: string): string {
  const parts = region.split('-');
  const dir: Record<string, string> = {
    north: 'n',
    south: 's',
    east: 'e',
    west: 'w',
    central: 'c',
    northeast: 'ne',
    southeast: 'se',
    northwest: 'nw',
    southwest: 'sw',
    gov: 'g',
  };
  return (
    parts[0] +
    parts
      .slice(1)
      .map((p) => dir[p] ?? p)
      .join('')
  );
}

/** The three availability zones the emulator models in every region. */
export function zonesOf(region: string): AzInfo[] {
  const abbrev = regionAbbrev(region);
  return ['a', 'b', 'c'].map((letter, i) => ({ name: `${region}${letter}`, id: `${abbrev}-az${i + 1}` }));
}

// --- IPv4 arithmetic ---

export function ipToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; undefined when malformed. `exact` is false when host bits are set. */
export function parseCidr(
  cidr: string,
): { base: number; prefix: number; size: number; exact: boolean } | undefined {
  const m = CIDR.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const ip = ipToInt(octets.join('.'));
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const base = (ip & mask) >>> 0;
  return { base, prefix, size: 2 ** (32 - prefix), exact: base === ip };
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  return x.base < y.base + y.size && y.base < x.base + x.size;
}

export function cidrWithin(inner: string, outer: string): boolean {
  const i = parseCidr(inner);
  const o = parseCidr(outer);
  if (!i || !o) return false;
  return i.base >= o.base && i.base + i.size <= o.base + o.size;
}

/** AWS reserves 5 addresses in every subnet: the first four and the last (VPC User Guide, "Subnet CIDR blocks"). */
export const RESERVED_IPS = 5;

/**
 * NAT gateways are `pending` for this long (virtual time) after CreateNatGateway, then
 * `available`; `deleting` for as long after DeleteNatGateway, then `deleted` (still listed, as
 * AWS lists deleted NAT gateways for about an hour). Routes may target a pending NAT gateway.
 */
export const NAT_TRANSITION_MS = 60_000;

/** Applies a NAT gateway's due state change as of `now` (lazily, like the AppStream lifecycles). */
export function settleNat(nat: NatRec, now: number): NatRec {
  if (nat.state === 'pending' && now >= nat.createTime + NAT_TRANSITION_MS)
    nat.state = nat.failureCode ? 'failed' : 'available';
  if (nat.state === 'deleting' && now >= (nat.deleteTime ?? 0) + NAT_TRANSITION_MS) nat.state = 'deleted';
  return nat;
}

function hash8(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

interface NetworkJson {
  account: string;
  region: string;
  counter: number;
  vpcs: VpcRec[];
  subnets: SubnetRec[];
  securityGroups: SgRec[];
  routeTables: RouteTableRec[];
  internetGateways: IgwRec[];
  addresses: AddressRec[];
  natGateways: NatRec[];
  endpoints: EndpointRec[];
  enis: EniRec[];
  tags: [string, Tags][];
}

/** One account's network in one region (see the file comment). */
export class Network {
  readonly vpcs = new Map<string, VpcRec>();
  readonly subnets = new Map<string, SubnetRec>();
  readonly securityGroups = new Map<string, SgRec>();
  readonly routeTables = new Map<string, RouteTableRec>();
  readonly internetGateways = new Map<string, IgwRec>();
  readonly addresses = new Map<string, AddressRec>();
  readonly natGateways = new Map<string, NatRec>();
  readonly endpoints = new Map<string, EndpointRec>();
  /** Network interfaces by id: change them only through createEni / allocateEni / releaseEnis. */
  readonly enis = new Map<string, EniRec>();
  /** Interface ids by owner, in creation order. */
  private readonly byOwner = new Map<string, string[]>();
  /** Free-address bookkeeping per subnet id (see IpPool). */
  private readonly pools = new Map<string, IpPool>();
  private readonly defaultGroupLists = new Map<string, string[]>();
  /** Tags of every resource, by resource id. */
  readonly tags = new Map<string, Tags>();
  readonly zones: AzInfo[];
  private counter = 0;
  private readonly idPrefix: string;

  constructor(
    readonly account: string,
    readonly region: string,
    opts: { empty?: boolean } = {},
  ) {
    this.zones = zonesOf(region);
    this.idPrefix = hash8(`${account}/${region}`);
    if (!opts.empty) this.createDefaultVpc();
  }

  /** A new resource id, e.g. `vpc-` + 17 hex digits: unique per account+region and deterministic. */
  newId(prefix: string): string {
    this.counter++;
    return `${prefix}-${this.idPrefix}${this.counter.toString(16).padStart(9, '0')}`;
  }

  private createDefaultVpc(): void {
    const vpc = this.addVpc('172.31.0.0/16', true);
    const igw: IgwRec = { id: this.newId('igw'), attachments: [{ vpcId: vpc.id, state: 'available' }] };
    this.internetGateways.set(igw.id, igw);
    const main = this.mainRouteTable(vpc.id) as RouteTableRec;
    main.routes.push({
      destinationCidr: '0.0.0.0/0',
      gatewayId: igw.id,
      origin: 'CreateRoute',
      state: 'active',
    });
    this.zones.forEach((az, i) => {
      this.addSubnet({ vpcId: vpc.id, cidr: `172.31.${i * 16}.0/20`, az, defaultForAz: true });
    });
  }

  /** Adds a VPC with its main route table (local route) and default security group. */
  addVpc(cidr: string, isDefault = false, instanceTenancy = 'default'): VpcRec {
    const vpc: VpcRec = {
      id: this.newId('vpc'),
      cidr,
      cidrAssociationId: this.newId('vpc-cidr-assoc'),
      isDefault,
      instanceTenancy,
      dhcpOptionsId: `dopt-${this.idPrefix}000000000`,
      state: 'available',
    };
    this.vpcs.set(vpc.id, vpc);
    const rt: RouteTableRec = {
      id: this.newId('rtb'),
      vpcId: vpc.id,
      routes: [{ destinationCidr: cidr, gatewayId: 'local', origin: 'CreateRouteTable', state: 'active' }],
      associations: [{ id: this.newId('rtbassoc'), main: true }],
    };
    this.routeTables.set(rt.id, rt);
    this.addSecurityGroup(vpc.id, 'default', 'default VPC security group');
    return vpc;
  }

  addSubnet(req: { vpcId: string; cidr: string; az: AzInfo; defaultForAz?: boolean }): SubnetRec {
    const subnet: SubnetRec = {
      id: this.newId('subnet'),
      vpcId: req.vpcId,
      cidr: req.cidr,
      az: req.az.name,
      azId: req.az.id,
      defaultForAz: req.defaultForAz ?? false,
      mapPublicIpOnLaunch: req.defaultForAz ?? false,
      state: 'available',
    };
    this.subnets.set(subnet.id, subnet);
    return subnet;
  }

  addSecurityGroup(vpcId: string, name: string, description: string): SgRec {
    const id = this.newId('sg');
    const sg: SgRec = {
      id,
      name,
      description,
      vpcId,
      // A new group allows all outbound traffic; the default group also allows inbound from itself.
      ingress:
        name === 'default'
          ? [{ IpProtocol: '-1', IpRanges: [], UserIdGroupPairs: [{ GroupId: id, UserId: this.account }] }]
          : [],
      egress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], UserIdGroupPairs: [] }],
    };
    this.securityGroups.set(id, sg);
    return sg;
  }

  mainRouteTable(vpcId: string): RouteTableRec | undefined {
    for (const rt of this.routeTables.values())
      if (rt.vpcId === vpcId && rt.associations.some((a) => a.main)) return rt;
    return undefined;
  }

  defaultVpc(): VpcRec | undefined {
    for (const vpc of this.vpcs.values()) if (vpc.isDefault) return vpc;
    return undefined;
  }

  defaultSecurityGroup(vpcId: string): SgRec | undefined {
    for (const sg of this.securityGroups.values()) if (sg.vpcId === vpcId && sg.name === 'default') return sg;
    return undefined;
  }

  // --- the contract AppStream uses ---

  /** The default VPC's default subnets, one per availability zone, in zone order. */
  defaultSubnetIds(): string[] {
    const vpc = this.defaultVpc();
    if (!vpc) return [];
    return [...this.subnets.values()]
      .filter((s) => s.vpcId === vpc.id && s.defaultForAz)
      .sort((a, b) => a.az.localeCompare(b.az))
      .map((s) => s.id);
  }

  missingSubnets(ids: string[]): string[] {
    return ids.filter((id) => !this.subnets.has(id));
  }

  missingSecurityGroups(ids: string[]): string[] {
    return ids.filter((id) => !this.securityGroups.has(id));
  }

  /** Addresses in use in a subnet (network interfaces, including NAT gateways'). */
  usedIps(subnetId: string): number {
    return this.pool(subnetId)?.used ?? 0;
  }

  /** AvailableIpAddressCount: size − 5 reserved − interfaces in the subnet. */
  freeIps(subnetId: string): number {
    const pool = this.pool(subnetId);
    return pool ? Math.max(0, pool.size - RESERVED_IPS - pool.used) : 0;
  }

  /**
   * The address bookkeeping of a subnet (created on first use: a subnet's interfaces are all made
   * through createEni, and fromJSON rebuilds the pools of loaded interfaces).
   */
  private pool(subnetId: string): IpPool | undefined {
    let pool = this.pools.get(subnetId);
    if (pool) return pool;
    const subnet = this.subnets.get(subnetId);
    const cidr = subnet && parseCidr(subnet.cidr);
    if (!cidr) return undefined;
    pool = new IpPool(cidr.base, cidr.size);
    this.pools.set(subnetId, pool);
    return pool;
  }

  /**
   * Creates a network interface in `subnetId` (no checks beyond a free address): used by
   * allocateEni and by NAT gateways. Undefined when the subnet has no free address. It takes the
   * subnet's lowest free host address (after the 4 reserved at the start) in O(log n).
   */
  createEni(req: {
    subnetId: string;
    securityGroupIds: string[];
    owner: string;
    description: string;
    interfaceType?: string;
    requesterManaged?: boolean;
  }): EniRec | undefined {
    const subnet = this.subnets.get(req.subnetId);
    const pool = this.pool(req.subnetId);
    if (!subnet || !pool) return undefined;
    const offset = pool.take();
    if (offset === undefined) return undefined;
    const id = this.newId('eni');
    const eni: EniRec = {
      id,
      subnetId: subnet.id,
      vpcId: subnet.vpcId,
      privateIp: intToIp(pool.base + offset),
      // Shared, never mutated: interfaces of one resource (or one VPC's default group) share it.
      securityGroupIds: req.securityGroupIds,
      description: req.description,
      owner: req.owner,
      az: subnet.az,
      requesterManaged: req.requesterManaged ?? true,
      interfaceType: req.interfaceType ?? 'interface',
      status: 'in-use',
    };
    this.enis.set(id, eni);
    this.own(eni);
    return eni;
  }

  /** Adds an interface to its owner's list (creation order; an array: most owners have one). */
  private own(eni: EniRec): void {
    const owned = this.byOwner.get(eni.owner);
    if (owned) owned.push(eni.id);
    else this.byOwner.set(eni.owner, [eni.id]);
  }

  /** The default security group of a subnet's VPC, as a (shared) list of one id. */
  private defaultGroups(vpcId: string): string[] {
    let groups = this.defaultGroupLists.get(vpcId);
    const id = this.defaultSecurityGroup(vpcId)?.id;
    if (!groups || groups[0] !== id) {
      groups = id === undefined ? [] : [id];
      this.defaultGroupLists.set(vpcId, groups);
    }
    return groups;
  }

  /**
   * One ENI for `owner` (e.g. 'image-builder/b1', 'fleet/f1') in the first of `subnetIds` (in
   * order) with a free address. Security groups default to the subnet's VPC's default group.
   * Missing subnets → SUBNET_NOT_FOUND; missing groups → SECURITY_GROUPS_NOT_FOUND; no address
   * left in any of them → SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES.
   */
  allocateEni(req: {
    subnetIds: string[];
    securityGroupIds?: string[];
    owner: string;
    description: string;
  }): Eni | EniFailure {
    if (req.subnetIds.length === 0 || this.missingSubnets(req.subnetIds).length > 0)
      return 'SUBNET_NOT_FOUND';
    if (req.securityGroupIds && this.missingSecurityGroups(req.securityGroupIds).length > 0)
      return 'SECURITY_GROUPS_NOT_FOUND';
    for (const subnetId of req.subnetIds) {
      if (this.freeIps(subnetId) <= 0) continue;
      const subnet = this.subnets.get(subnetId) as SubnetRec;
      const groups = req.securityGroupIds?.length
        ? [...req.securityGroupIds]
        : this.defaultGroups(subnet.vpcId);
      const eni = this.createEni({
        subnetId,
        securityGroupIds: groups,
        owner: req.owner,
        description: req.description,
      });
      if (eni) return toEni(eni);
    }
    return 'SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES';
  }

  /** Releases `count` of the owner's ENIs (newest first), or all; returns how many were released. */
  releaseEnis(owner: string, count?: number): number {
    const owned = this.byOwner.get(owner);
    if (!owned) return 0;
    const n = count === undefined ? owned.length : Math.min(owned.length, Math.max(0, count));
    for (let i = 0; i < n; i++) {
      const eni = this.enis.get(owned.pop() as string);
      if (!eni) continue;
      this.enis.delete(eni.id);
      const pool = this.pools.get(eni.subnetId);
      pool?.give(ipToInt(eni.privateIp) - pool.base);
    }
    if (owned.length === 0) this.byOwner.delete(owner);
    return n;
  }

  enisOf(owner: string): Eni[] {
    return [...(this.byOwner.get(owner) ?? [])].map((id) => toEni(this.enis.get(id) as EniRec));
  }

  // --- tags ---

  tagsOf(id: string): Tags {
    return this.tags.get(id) ?? {};
  }

  /** Tags as EC2 returns them: a list of {Key, Value}. */
  tagList(id: string): { Key: string; Value: string }[] | undefined {
    const t = this.tags.get(id);
    if (!t) return undefined;
    return Object.entries(t).map(([Key, Value]) => ({ Key, Value }));
  }

  setTags(id: string, tags: { Key?: string; Value?: string }[]): void {
    let t = this.tags.get(id);
    if (!t) {
      t = Object.create(null) as Tags;
      this.tags.set(id, t);
    }
    for (const tag of tags) if (tag.Key !== undefined) t[tag.Key] = tag.Value ?? '';
  }

  forget(id: string): void {
    this.tags.delete(id);
  }

  // --- state file ---

  toJSON(): NetworkJson {
    return {
      account: this.account,
      region: this.region,
      counter: this.counter,
      vpcs: [...this.vpcs.values()],
      subnets: [...this.subnets.values()],
      securityGroups: [...this.securityGroups.values()],
      routeTables: [...this.routeTables.values()],
      internetGateways: [...this.internetGateways.values()],
      addresses: [...this.addresses.values()],
      natGateways: [...this.natGateways.values()],
      endpoints: [...this.endpoints.values()],
      enis: [...this.enis.values()],
      tags: [...this.tags.entries()],
    };
  }

  static fromJSON(data: NetworkJson): Network {
    const net = new Network(data.account, data.region, { empty: true });
    net.counter = data.counter;
    const fill = <T extends { id: string }>(map: Map<string, T>, items: T[] | undefined) => {
      for (const item of items ?? []) map.set(item.id, item);
    };
    fill(net.vpcs, data.vpcs);
    fill(net.subnets, data.subnets);
    fill(net.securityGroups, data.securityGroups);
    fill(net.routeTables, data.routeTables);
    fill(net.internetGateways, data.internetGateways);
    for (const a of data.addresses ?? []) net.addresses.set(a.allocationId, a);
    fill(net.natGateways, data.natGateways);
    fill(net.endpoints, data.endpoints);
    for (const eni of data.enis ?? []) {
      // Older state files stored each interface's MAC address: it is derived from the id now.
      delete (eni as EniRec & { mac?: string }).mac;
      net.enis.set(eni.id, eni);
      net.own(eni);
    }
    // Rebuild each subnet's address bookkeeping from the interfaces in it.
    const offsets = new Map<string, number[]>();
    for (const eni of net.enis.values()) {
      const pool = net.pool(eni.subnetId);
      if (!pool) continue;
      let list = offsets.get(eni.subnetId);
      if (!list) {
        list = [];
        offsets.set(eni.subnetId, list);
      }
      list.push(ipToInt(eni.privateIp) - pool.base);
    }
    for (const [subnetId, list] of offsets) net.pools.get(subnetId)?.restore(list);
    for (const [id, tags] of data.tags ?? []) net.tags.set(id, Object.assign(Object.create(null), tags));
    return net;
  }
}

/** An interface's MAC address, derived from its id (not stored: 10,000 builders hold 10,000). */
export function macOf(eniId: string): string {
  return `02:${eniId.slice(-10).match(/../g)?.join(':')}`;
}

/**
 * Free addresses of one subnet as offsets from its base: `next` is the lowest never-used host
 * offset (the first 4 are reserved, and the last address), `freed` a min-heap of released offsets
 * below it. Taking the lowest free address and giving one back are O(log n).
 */
class IpPool {
  used = 0;
  private next = 4;
  private readonly freed: number[] = [];

  constructor(
    readonly base: number,
    readonly size: number,
  ) {}

  take(): number | undefined {
    if (this.freed.length) {
      this.used++;
      return heapPop(this.freed);
    }
    if (this.next >= this.size - 1) return undefined;
    this.used++;
    return this.next++;
  }

  give(offset: number): void {
    if (offset < 4 || offset >= this.next) return;
    this.used--;
    heapPush(this.freed, offset);
  }

  /** Rebuilds the pool from the offsets in use (state file). */
  restore(inUse: number[]): void {
    const taken = new Set(inUse);
    this.used = taken.size;
    this.next = 4;
    for (const o of taken) if (o + 1 > this.next) this.next = o + 1;
    this.freed.length = 0;
    for (let o = 4; o < this.next; o++) if (!taken.has(o)) heapPush(this.freed, o);
  }
}

function heapPush(heap: number[], value: number): void {
  heap.push(value);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent] <= heap[i]) break;
    [heap[parent], heap[i]] = [heap[i], heap[parent]];
    i = parent;
  }
}

function heapPop(heap: number[]): number | undefined {
  if (!heap.length) return undefined;
  const top = heap[0];
  const last = heap.pop() as number;
  if (heap.length) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && heap[l] < heap[m]) m = l;
      if (r < heap.length && heap[r] < heap[m]) m = r;
      if (m === i) break;
      [heap[m], heap[i]] = [heap[i], heap[m]];
      i = m;
    }
  }
  return top;
}

function toEni(e: EniRec): Eni {
  return {
    id: e.id,
    subnetId: e.subnetId,
    vpcId: e.vpcId,
    privateIp: e.privateIp,
    securityGroupIds: [...e.securityGroupIds],
    description: e.description,
    owner: e.owner,
  };
}
