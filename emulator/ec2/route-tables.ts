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
import { type Network, parseCidr, type RouteRec, type RouteTableRec, settleNat } from './network';
import { subnetOrThrow } from './subnets';
import { vpcOrThrow } from './vpcs';

export function routeTableOrThrow(net: Network, id: string): RouteTableRec {
  checkId(id, 'rtb', 'InvalidRouteTableId.Malformed');
  const rt = net.routeTables.get(id);
  if (!rt) throw notFound('InvalidRouteTableID.NotFound', 'routeTable', id);
  return rt;
}

/** A route is `blackhole` once its target (gateway, NAT gateway, interface) is gone or detached. */
function routeState(net: Network, rt: RouteTableRec, r: RouteRec, now: number): 'active' | 'blackhole' {
  if (r.gatewayId === 'local') return 'active';
  if (r.gatewayId?.startsWith('igw-'))
    return net.internetGateways.get(r.gatewayId)?.attachments.some((a) => a.vpcId === rt.vpcId)
      ? 'active'
      : 'blackhole';
  if (r.gatewayId?.startsWith('vpce-')) return net.endpoints.has(r.gatewayId) ? 'active' : 'blackhole';
  if (r.natGatewayId) {
    const nat = net.natGateways.get(r.natGatewayId);
    const state = nat && settleNat(nat, now).state;
    return state === 'deleting' || state === 'deleted' || state === 'failed' || !state
      ? 'blackhole'
      : 'active';
  }
  if (r.networkInterfaceId) return net.enis.has(r.networkInterfaceId) ? 'active' : 'blackhole';
  return r.state;
}

export function describeRouteTable(net: Network, rt: RouteTableRec, ctx: QueryCtx) {
  return {
    RouteTableId: rt.id,
    VpcId: rt.vpcId,
    OwnerId: ctx.account,
    Routes: rt.routes.map((r) => ({
      DestinationCidrBlock: r.destinationCidr,
      DestinationPrefixListId: r.destinationPrefixListId,
      GatewayId: r.gatewayId,
      NatGatewayId: r.natGatewayId,
      NetworkInterfaceId: r.networkInterfaceId,
      Origin: r.origin,
      State: routeState(net, rt, r, ctx.now),
    })),
    Associations: rt.associations.map((a) => ({
      Main: a.main,
      RouteTableAssociationId: a.id,
      RouteTableId: rt.id,
      SubnetId: a.subnetId,
      AssociationState: { State: 'associated' },
    })),
    PropagatingVgws: [],
    Tags: net.tagList(rt.id),
  };
}

interface RouteInput {
  RouteTableId: string;
  DestinationCidrBlock?: string;
  DestinationIpv6CidrBlock?: string;
  DestinationPrefixListId?: string;
  GatewayId?: string;
  NatGatewayId?: string;
  NetworkInterfaceId?: string;
  VpcEndpointId?: string;
  [other: string]: unknown;
}

const TARGETS = [
  'GatewayId',
  'NatGatewayId',
  'NetworkInterfaceId',
  'VpcEndpointId',
  'InstanceId',
  'VpcPeeringConnectionId',
  'EgressOnlyInternetGatewayId',
  'TransitGatewayId',
  'LocalGatewayId',
  'CarrierGatewayId',
  'CoreNetworkArn',
  'OdbNetworkArn',
];

const sameDestination = (r: RouteRec, input: RouteInput) =>
  (input.DestinationCidrBlock !== undefined && r.destinationCidr === input.DestinationCidrBlock) ||
  (input.DestinationPrefixListId !== undefined &&
    r.destinationPrefixListId === input.DestinationPrefixListId);

const destinationOf = (input: RouteInput) =>
  input.DestinationCidrBlock ?? input.DestinationPrefixListId ?? '';

export const routeTableHandlers: Record<string, QueryHandler> = {
  CreateRouteTable(
    input: { VpcId: string; TagSpecifications?: TagSpecification[]; ClientToken?: string },
    ctx,
  ) {
    const net = ctx.network();
    const vpc = vpcOrThrow(net, input.VpcId);
    const apply = tagSpecs(input.TagSpecifications, 'route-table', net);
    const rt: RouteTableRec = {
      id: net.newId('rtb'),
      vpcId: vpc.id,
      routes: [
        { destinationCidr: vpc.cidr, gatewayId: 'local', origin: 'CreateRouteTable', state: 'active' },
      ],
      associations: [],
    };
    net.routeTables.set(rt.id, rt);
    apply(rt.id);
    return { RouteTable: describeRouteTable(net, rt, ctx), ClientToken: input.ClientToken };
  },

  DeleteRouteTable(input: { RouteTableId: string }, ctx) {
    const net = ctx.network();
    const rt = routeTableOrThrow(net, input.RouteTableId);
    // EC2 API reference, DeleteRouteTable: disassociate every subnet first; the main table can't be deleted.
    if (rt.associations.length > 0)
      throw dependencyViolation(`The routeTable '${rt.id}' has dependencies and cannot be deleted.`);
    for (const e of net.endpoints.values()) e.routeTableIds = e.routeTableIds.filter((id) => id !== rt.id);
    net.routeTables.delete(rt.id);
    net.forget(rt.id);
    return {};
  },

  CreateRoute(input: RouteInput, ctx) {
    const net = ctx.network();
    const rt = routeTableOrThrow(net, input.RouteTableId);
    const dests = [
      input.DestinationCidrBlock,
      input.DestinationIpv6CidrBlock,
      input.DestinationPrefixListId,
    ].filter((d) => d !== undefined);
    if (dests.length !== 1)
      throw ec2Error(
        'MissingParameter',
        'The request must contain exactly one of destinationCidrBlock, destinationIpv6CidrBlock or destinationPrefixListId',
      );
    if (input.DestinationIpv6CidrBlock !== undefined)
      throw invalidParameter('The emulator models IPv4 routes only (DestinationIpv6CidrBlock).');
    if (input.DestinationCidrBlock !== undefined && !parseCidr(input.DestinationCidrBlock)?.exact)
      throw invalidParameter(
        `Value (${input.DestinationCidrBlock}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.`,
      );
    const targets = TARGETS.filter((t) => input[t] !== undefined);
    if (targets.length !== 1)
      throw ec2Error(
        targets.length === 0 ? 'MissingParameter' : 'InvalidParameterCombination',
        'The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, egressOnlyInternetGatewayId, transitGatewayId, localGatewayId, carrierGatewayId, coreNetworkArn or instanceId',
      );
    const route: RouteRec = {
      destinationCidr: input.DestinationCidrBlock,
      destinationPrefixListId: input.DestinationPrefixListId,
      origin: 'CreateRoute',
      state: 'active',
    };
    if (input.GatewayId !== undefined) {
      const igw = net.internetGateways.get(input.GatewayId);
      if (!igw) throw notFound('InvalidGatewayID.NotFound', 'gateway', input.GatewayId);
      if (!igw.attachments.some((a) => a.vpcId === rt.vpcId))
        throw invalidParameter(
          `route table ${rt.id} and network gateway ${igw.id} belong to different networks`,
        );
      route.gatewayId = igw.id;
    } else if (input.NatGatewayId !== undefined) {
      const nat = net.natGateways.get(input.NatGatewayId);
      if (!nat || nat.state === 'deleted')
        throw ec2Error('NatGatewayNotFound', `The Nat Gateway ${input.NatGatewayId} was not found`);
      if (nat.vpcId !== rt.vpcId)
        throw invalidParameter(`route table ${rt.id} and NAT gateway ${nat.id} belong to different networks`);
      route.natGatewayId = nat.id;
    } else if (input.NetworkInterfaceId !== undefined) {
      const eni = net.enis.get(input.NetworkInterfaceId);
      if (!eni)
        throw notFound('InvalidNetworkInterfaceID.NotFound', 'network interface', input.NetworkInterfaceId);
      if (eni.vpcId !== rt.vpcId)
        throw invalidParameter(`route table ${rt.id} and interface ${eni.id} belong to different networks`);
      route.networkInterfaceId = eni.id;
    } else if (input.VpcEndpointId !== undefined) {
      // Gateway endpoints get their routes through CreateVpcEndpoint / its RouteTableIds.
      throw invalidParameter(
        'Route table routes to gateway VPC endpoints are managed through the endpoint (RouteTableIds).',
      );
    } else {
      throw ec2Error('Unsupported', `The emulator doesn't model ${targets[0]} route targets.`);
    }
    if (rt.routes.some((r) => sameDestination(r, input)))
      throw ec2Error('RouteAlreadyExists', `The route identified by ${destinationOf(input)} already exists.`);
    rt.routes.push(route);
    return { Return: true };
  },

  DeleteRoute(input: RouteInput, ctx) {
    const net = ctx.network();
    const rt = routeTableOrThrow(net, input.RouteTableId);
    const i = rt.routes.findIndex((r) => sameDestination(r, input));
    if (i < 0)
      throw ec2Error(
        'InvalidRoute.NotFound',
        `no route with destination-cidr-block ${destinationOf(input)} in route table ${rt.id}`,
      );
    const r = rt.routes[i];
    if (r.gatewayId === 'local')
      throw invalidParameter(`cannot remove local route ${r.destinationCidr} in route table ${rt.id}`);
    if (r.gatewayId?.startsWith('vpce-'))
      throw invalidParameter(
        `Route ${destinationOf(input)} in route table ${rt.id} is managed by VPC endpoint ${r.gatewayId}`,
      );
    rt.routes.splice(i, 1);
    return {};
  },

  AssociateRouteTable(input: { RouteTableId: string; SubnetId?: string; GatewayId?: string }, ctx) {
    const net = ctx.network();
    const rt = routeTableOrThrow(net, input.RouteTableId);
    if (input.GatewayId !== undefined)
      throw ec2Error('Unsupported', 'The emulator models subnet route table associations only (GatewayId).');
    if (input.SubnetId === undefined)
      throw ec2Error('MissingParameter', 'The request must contain the parameter subnetId or gatewayId');
    const subnet = subnetOrThrow(net, input.SubnetId);
    if (subnet.vpcId !== rt.vpcId)
      throw invalidParameter(`Route table ${rt.id} and subnet ${subnet.id} belong to different networks`);
    // A subnet has one explicit association (EC2 API reference: Resource.AlreadyAssociated).
    for (const other of net.routeTables.values())
      if (other.associations.some((a) => a.subnetId === subnet.id))
        throw ec2Error(
          'Resource.AlreadyAssociated',
          `the specified association for route table ${rt.id} conflicts with an existing association`,
        );
    const assoc = { id: net.newId('rtbassoc'), main: false, subnetId: subnet.id };
    rt.associations.push(assoc);
    return { AssociationId: assoc.id, AssociationState: { State: 'associated' } };
  },

  DisassociateRouteTable(input: { AssociationId: string }, ctx) {
    const net = ctx.network();
    checkId(input.AssociationId, 'rtbassoc', 'InvalidAssociationID.Malformed');
    for (const rt of net.routeTables.values()) {
      const a = rt.associations.find((x) => x.id === input.AssociationId);
      if (!a) continue;
      if (a.main) throw invalidParameter(`cannot disassociate the main route table association ${a.id}`);
      rt.associations = rt.associations.filter((x) => x !== a);
      return {};
    }
    throw notFound('InvalidAssociationID.NotFound', 'association', input.AssociationId);
  },

  DescribeRouteTables(
    input: { RouteTableIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string },
    ctx,
  ) {
    const net = ctx.network();
    const fns = {
      'association.route-table-association-id': (t: RouteTableRec) => t.associations.map((a) => a.id),
      'association.route-table-id': (t: RouteTableRec) => (t.associations.length ? t.id : undefined),
      'association.subnet-id': (t: RouteTableRec) => t.associations.map((a) => a.subnetId),
      'association.main': (t: RouteTableRec) => t.associations.some((a) => a.main),
      'owner-id': () => ctx.account,
      'route-table-id': (t: RouteTableRec) => t.id,
      'route.destination-cidr-block': (t: RouteTableRec) => t.routes.map((r) => r.destinationCidr),
      'route.destination-prefix-list-id': (t: RouteTableRec) =>
        t.routes.map((r) => r.destinationPrefixListId),
      'route.gateway-id': (t: RouteTableRec) => t.routes.map((r) => r.gatewayId),
      'route.nat-gateway-id': (t: RouteTableRec) => t.routes.map((r) => r.natGatewayId),
      'route.origin': (t: RouteTableRec) => t.routes.map((r) => r.origin),
      'route.state': (t: RouteTableRec) => t.routes.map((r) => routeState(net, t, r, ctx.now)),
      'vpc-id': (t: RouteTableRec) => t.vpcId,
      // EC2 API Reference, DescribeRouteTables, Filters: targets the subset doesn't model match nothing.
      'association.gateway-id': () => undefined,
      'route.destination-ipv6-cidr-block': () => undefined,
      'route.egress-only-internet-gateway-id': () => undefined,
      'route.instance-id': () => undefined,
      'route.transit-gateway-id': () => undefined,
      'route.vpc-peering-connection-id': () => undefined,
    };
    const selected = byIds(net.routeTables, input.RouteTableIds, (id) =>
      notFound('InvalidRouteTableID.NotFound', 'routeTable', id),
    );
    const { items, NextToken } = page(
      applyFilters(selected, input.Filters, fns, (id) => net.tagsOf(id)),
      input,
    );
    return { RouteTables: items.map((t) => describeRouteTable(net, t, ctx)), NextToken };
  },
};
