import type { QueryCtx, QueryHandler } from '../query/context';
import {
  applyFilters,
  byIds,
  checkId,
  dependencyViolation,
  ec2Error,
  type Filter,
  invalidParameter,
  notFound,
  page,
  type TagSpecification,
  tagSpecs,
} from './common';
import { type AddressRec, type IgwRec, intToIp, type NatRec, type Network, settleNat } from './network';
import { subnetOrThrow } from './subnets';
import { vpcOrThrow } from './vpcs';

function igwOrThrow(net: Network, id: string): IgwRec {
  checkId(id, 'igw', 'InvalidInternetGatewayId.Malformed');
  const igw = net.internetGateways.get(id);
  if (!igw) throw notFound('InvalidInternetGatewayID.NotFound', 'internet gateway', id);
  return igw;
}

const describeIgw = (net: Network, igw: IgwRec, ctx: QueryCtx) => ({
  InternetGatewayId: igw.id,
  OwnerId: ctx.account,
  Attachments: igw.attachments.map((a) => ({ VpcId: a.vpcId, State: a.state })),
  Tags: net.tagList(igw.id),
});

function describeNat(net: Network, nat: NatRec, ctx: QueryCtx) {
  settleNat(nat, ctx.now);
  const address = nat.allocationId ? net.addresses.get(nat.allocationId) : undefined;
  const subnet = net.subnets.get(nat.subnetId);
  const gone = nat.state === 'deleted';
  const failed = nat.state === 'failed';
  const own = address !== undefined && nat.eniId !== undefined && address.networkInterfaceId === nat.eniId;
  return {
    NatGatewayId: nat.id,
    SubnetId: nat.subnetId,
    VpcId: nat.vpcId,
    State: nat.state,
    ConnectivityType: nat.connectivityType,
    CreateTime: nat.createTime,
    DeleteTime: nat.deleteTime,
    FailureCode: failed ? nat.failureCode : undefined,
    FailureMessage: failed ? nat.failureMessage : undefined,
    NatGatewayAddresses: [
      {
        AllocationId: nat.allocationId,
        PublicIp: address?.publicIp,
        NetworkInterfaceId: nat.eniId,
        PrivateIp: nat.privateIp,
        AssociationId: gone || !own ? undefined : address?.associationId,
        IsPrimary: true,
        Status: gone ? 'disassociated' : failed || nat.failureCode ? 'failed' : 'succeeded',
        AvailabilityZone: subnet?.az,
      },
    ],
    Tags: net.tagList(nat.id),
  };
}

function addressOrThrow(net: Network, id: string): AddressRec {
  const a = net.addresses.get(id);
  if (!a) throw notFound('InvalidAllocationID.NotFound', 'allocation', id);
  return a;
}

export const gatewayHandlers: Record<string, QueryHandler> = {
  // --- internet gateways ---
  CreateInternetGateway(input: { TagSpecifications?: TagSpecification[] }, ctx) {
    const net = ctx.network();
    const apply = tagSpecs(input.TagSpecifications, 'internet-gateway', net);
    const igw: IgwRec = { id: net.newId('igw'), attachments: [] };
    net.internetGateways.set(igw.id, igw);
    apply(igw.id);
    return { InternetGateway: describeIgw(net, igw, ctx) };
  },

  DeleteInternetGateway(input: { InternetGatewayId: string }, ctx) {
    const net = ctx.network();
    const igw = igwOrThrow(net, input.InternetGatewayId);
    if (igw.attachments.length > 0)
      throw dependencyViolation(`The internetGateway '${igw.id}' has dependencies and cannot be deleted.`);
    net.internetGateways.delete(igw.id);
    net.forget(igw.id);
    return {};
  },

  AttachInternetGateway(input: { InternetGatewayId: string; VpcId: string }, ctx) {
    const net = ctx.network();
    const igw = igwOrThrow(net, input.InternetGatewayId);
    const vpc = vpcOrThrow(net, input.VpcId);
    if (igw.attachments.length > 0)
      throw ec2Error(
        'Resource.AlreadyAssociated',
        `resource ${igw.id} is already attached to network ${igw.attachments[0].vpcId}`,
      );
    for (const other of net.internetGateways.values())
      if (other.attachments.some((a) => a.vpcId === vpc.id))
        throw ec2Error(
          'Resource.AlreadyAssociated',
          `Network ${vpc.id} already has an internet gateway attached`,
        );
    igw.attachments.push({ vpcId: vpc.id, state: 'available' });
    return {};
  },

  DetachInternetGateway(input: { InternetGatewayId: string; VpcId: string }, ctx) {
    const net = ctx.network();
    const igw = igwOrThrow(net, input.InternetGatewayId);
    vpcOrThrow(net, input.VpcId);
    if (!igw.attachments.some((a) => a.vpcId === input.VpcId))
      throw ec2Error('Gateway.NotAttached', `resource ${igw.id} is not attached to network ${input.VpcId}`);
    igw.attachments = igw.attachments.filter((a) => a.vpcId !== input.VpcId);
    return {};
  },

  DescribeInternetGateways(
    input: { InternetGatewayIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string },
    ctx,
  ) {
    const net = ctx.network();
    const fns = {
      'attachment.state': (g: IgwRec) => g.attachments.map((a) => a.state),
      'attachment.vpc-id': (g: IgwRec) => g.attachments.map((a) => a.vpcId),
      'internet-gateway-id': (g: IgwRec) => g.id,
      'owner-id': () => ctx.account,
    };
    const selected = byIds(net.internetGateways, input.InternetGatewayIds, (id) =>
      notFound('InvalidInternetGatewayID.NotFound', 'internet gateway', id),
    );
    const { items, NextToken } = page(
      applyFilters(selected, input.Filters, fns, (id) => net.tagsOf(id)),
      input,
    );
    return { InternetGateways: items.map((g) => describeIgw(net, g, ctx)), NextToken };
  },

  // --- Elastic IP addresses ---
  AllocateAddress(input: { Domain?: string; TagSpecifications?: TagSpecification[] }, ctx) {
    const net = ctx.network();
    if (input.Domain === 'standard')
      throw invalidParameter('EC2-Classic addresses (Domain standard) are not supported.');
    const apply = tagSpecs(input.TagSpecifications, 'elastic-ip', net);
    // Elastic IP addresses per region (Amazon EC2 quotas: 5).
    if (net.addresses.size >= 5)
      throw ec2Error('AddressLimitExceeded', 'The maximum number of addresses has been reached.');
    const allocationId = net.newId('eipalloc');
    // Documentation-range-free, deterministic public addresses (100.24.x.y, AWS us-east-1 style).
    const n = Number.parseInt(allocationId.slice(-6), 16);
    const publicIp = intToIp(((100 << 24) | (24 << 16) | (n & 0xffff)) >>> 0);
    net.addresses.set(allocationId, { allocationId, publicIp });
    apply(allocationId);
    return {
      AllocationId: allocationId,
      PublicIp: publicIp,
      Domain: 'vpc',
      PublicIpv4Pool: 'amazon',
      NetworkBorderGroup: ctx.region,
    };
  },

  ReleaseAddress(input: { AllocationId?: string; PublicIp?: string }, ctx) {
    const net = ctx.network();
    let a: AddressRec | undefined;
    if (input.AllocationId !== undefined) a = addressOrThrow(net, input.AllocationId);
    else if (input.PublicIp !== undefined) {
      a = [...net.addresses.values()].find((x) => x.publicIp === input.PublicIp);
      if (!a) throw ec2Error('InvalidAddress.NotFound', `Address '${input.PublicIp}' not found.`);
    } else throw ec2Error('MissingParameter', 'The request must contain the parameter AllocationId');
    if (a.associationId) throw ec2Error('InvalidIPAddress.InUse', `Address ${a.publicIp} is in use.`);
    net.addresses.delete(a.allocationId);
    net.forget(a.allocationId);
    return {};
  },

  // --- NAT gateways ---
  CreateNatGateway(
    input: {
      SubnetId?: string;
      AllocationId?: string;
      ConnectivityType?: 'public' | 'private';
      ClientToken?: string;
      TagSpecifications?: TagSpecification[];
    },
    ctx,
  ) {
    const net = ctx.network();
    if (input.SubnetId === undefined)
      throw ec2Error('MissingParameter', 'The request must contain the parameter SubnetId');
    const subnet = subnetOrThrow(net, input.SubnetId);
    const type = input.ConnectivityType ?? 'public';
    let address: AddressRec | undefined;
    /**
     * What makes creation fail: AWS accepts the call and the gateway goes `failed` with a
     * FailureCode (EC2 API Reference, NatGateway: "If the NAT gateway could not be created,
     * specifies the error code for the failure": `Gateway.NotAttached` "Network vpc-xxxxxxxx has
     * no Internet gateway attached", `Resource.AlreadyAssociated` "Elastic IP address
     * eipalloc-xxxxxxxx is already associated", `InsufficientFreeAddressesInSubnet` "Subnet has
     * insufficient free addresses to create this NAT gateway"). A failed gateway holds no
     * interface and no Elastic IP association.
     */
    let failure: [string, string] | undefined;
    if (type === 'public') {
      if (input.AllocationId === undefined)
        throw ec2Error('MissingParameter', 'The request must contain the parameter AllocationId');
      address = addressOrThrow(net, input.AllocationId);
      const attached = [...net.internetGateways.values()].some((g) =>
        g.attachments.some((a) => a.vpcId === subnet.vpcId),
      );
      if (!attached)
        failure = ['Gateway.NotAttached', `Network ${subnet.vpcId} has no Internet gateway attached`];
      else if (address.associationId)
        failure = [
          'Resource.AlreadyAssociated',
          `Elastic IP address ${address.allocationId} is already associated`,
        ];
    } else if (input.AllocationId !== undefined)
      throw ec2Error(
        'InvalidParameterCombination',
        'A private NAT gateway cannot have an Elastic IP address.',
      );
    const apply = tagSpecs(input.TagSpecifications, 'natgateway', net);
    const id = net.newId('nat');
    const eni = failure
      ? undefined
      : net.createEni({
          subnetId: subnet.id,
          securityGroupIds: [],
          owner: `nat-gateway/${id}`,
          description: `Interface for NAT Gateway ${id}`,
          interfaceType: 'nat_gateway',
        });
    if (!failure && !eni)
      failure = [
        'InsufficientFreeAddressesInSubnet',
        'Subnet has insufficient free addresses to create this NAT gateway',
      ];
    if (address && eni) {
      address.associationId = net.newId('eipassoc');
      address.networkInterfaceId = eni.id;
      address.privateIp = eni.privateIp;
    }
    const nat: NatRec = {
      id,
      subnetId: subnet.id,
      vpcId: subnet.vpcId,
      connectivityType: type,
      allocationId: address?.allocationId,
      eniId: eni?.id,
      privateIp: eni?.privateIp,
      state: 'pending',
      createTime: ctx.now,
      failureCode: failure?.[0],
      failureMessage: failure?.[1],
    };
    net.natGateways.set(id, nat);
    apply(id);
    return { NatGateway: describeNat(net, nat, ctx), ClientToken: input.ClientToken };
  },

  DeleteNatGateway(input: { NatGatewayId: string }, ctx) {
    const net = ctx.network();
    const nat = net.natGateways.get(input.NatGatewayId);
    if (!nat || settleNat(nat, ctx.now).state === 'deleted')
      throw ec2Error('NatGatewayNotFound', `The Nat Gateway ${input.NatGatewayId} was not found`);
    if (nat.state !== 'deleting') {
      nat.state = 'deleting';
      nat.deleteTime = ctx.now;
      // The interface and the Elastic IP association go with it.
      net.releaseEnis(`nat-gateway/${nat.id}`);
      const address = nat.allocationId && nat.eniId ? net.addresses.get(nat.allocationId) : undefined;
      if (address && address.networkInterfaceId === nat.eniId) {
        address.associationId = undefined;
        address.networkInterfaceId = undefined;
        address.privateIp = undefined;
      }
    }
    return { NatGatewayId: nat.id };
  },

  DescribeNatGateways(
    input: { NatGatewayIds?: string[]; Filter?: Filter[]; MaxResults?: number; NextToken?: string },
    ctx,
  ) {
    const net = ctx.network();
    for (const nat of net.natGateways.values()) settleNat(nat, ctx.now);
    const fns = {
      'nat-gateway-id': (n: NatRec) => n.id,
      state: (n: NatRec) => n.state,
      'subnet-id': (n: NatRec) => n.subnetId,
      'vpc-id': (n: NatRec) => n.vpcId,
    };
    const selected = byIds(net.natGateways, input.NatGatewayIds, (id) =>
      ec2Error('NatGatewayNotFound', `The Nat Gateway ${id} was not found`),
    );
    const { items, NextToken } = page(
      applyFilters(selected, input.Filter, fns, (id) => net.tagsOf(id)),
      input,
    );
    return { NatGateways: items.map((n) => describeNat(net, n, ctx)), NextToken };
  },
};
