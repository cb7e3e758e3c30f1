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
import { type Network, parseCidr, settleNat, type VpcRec } from './network';

/** VPCs per region (Amazon VPC quotas: 5, the default VPC included). */
export const VPC_QUOTA = 5;

export function vpcOrThrow(net: Network, id: string): VpcRec {
  checkId(id, 'vpc', 'InvalidVpcID.Malformed');
  const vpc = net.vpcs.get(id);
  if (!vpc) throw notFound('InvalidVpcID.NotFound', 'vpc', id);
  return vpc;
}

/** A VPC or subnet IPv4 block: a valid CIDR from /16 to /28 (Amazon VPC User Guide, "VPC CIDR blocks"). */
export function checkBlock(cidr: string, param: string, rangeCode: string): void {
  const parsed = parseCidr(cidr);
  if (!parsed?.exact)
    throw invalidParameter(
      `Value (${cidr}) for parameter ${param} is invalid. This is not a valid CIDR block.`,
    );
  if (parsed.prefix < 16 || parsed.prefix > 28) throw ec2Error(rangeCode, `The CIDR '${cidr}' is invalid.`);
}

export function describeVpc(net: Network, vpc: VpcRec, ctx: QueryCtx) {
  return {
    VpcId: vpc.id,
    CidrBlock: vpc.cidr,
    State: vpc.state,
    DhcpOptionsId: vpc.dhcpOptionsId,
    InstanceTenancy: vpc.instanceTenancy,
    IsDefault: vpc.isDefault,
    OwnerId: ctx.account,
    CidrBlockAssociationSet: [
      { AssociationId: vpc.cidrAssociationId, CidrBlock: vpc.cidr, CidrBlockState: { State: 'associated' } },
    ],
    Tags: net.tagList(vpc.id),
  };
}

const VPC_FILTERS = {
  cidr: (v: VpcRec) => v.cidr,
  'cidr-block-association.cidr-block': (v: VpcRec) => v.cidr,
  'cidr-block-association.association-id': (v: VpcRec) => v.cidrAssociationId,
  'cidr-block-association.state': () => 'associated',
  'dhcp-options-id': (v: VpcRec) => v.dhcpOptionsId,
  'instance-tenancy': (v: VpcRec) => v.instanceTenancy,
  // No IPv6 blocks in the subset: these documented filters match nothing.
  'ipv6-cidr-block-association.ipv6-cidr-block': () => undefined,
  'ipv6-cidr-block-association.ipv6-pool': () => undefined,
  'ipv6-cidr-block-association.association-id': () => undefined,
  'ipv6-cidr-block-association.state': () => undefined,
  'is-default': (v: VpcRec) => v.isDefault,
  'owner-id': () => undefined as string | undefined,
  state: (v: VpcRec) => v.state,
  'vpc-id': (v: VpcRec) => v.id,
};

export const vpcHandlers: Record<string, QueryHandler> = {
  CreateVpc(
    input: { CidrBlock?: string; InstanceTenancy?: string; TagSpecifications?: TagSpecification[] },
    ctx,
  ) {
    const net = ctx.network();
    if (input.CidrBlock === undefined)
      throw ec2Error('MissingParameter', 'The request must contain the parameter CidrBlock');
    checkBlock(input.CidrBlock, 'cidrBlock', 'InvalidVpc.Range');
    const apply = tagSpecs(input.TagSpecifications, 'vpc', net);
    if (net.vpcs.size >= VPC_QUOTA)
      throw ec2Error('VpcLimitExceeded', 'The maximum number of VPCs has been reached.');
    const vpc = net.addVpc(input.CidrBlock, false, input.InstanceTenancy ?? 'default');
    apply(vpc.id);
    return { Vpc: describeVpc(net, vpc, ctx) };
  },

  DeleteVpc(input: { VpcId: string }, ctx) {
    const net = ctx.network();
    const vpc = vpcOrThrow(net, input.VpcId);
    // EC2 API reference, DeleteVpc: delete or detach every associated resource first
    // (subnets, non-default security groups, non-main route tables, gateways, endpoints).
    const inVpc = <T extends { vpcId: string }>(m: Map<string, T>) =>
      [...m.values()].some((r) => r.vpcId === vpc.id);
    const busy =
      inVpc(net.subnets) ||
      [...net.securityGroups.values()].some((g) => g.vpcId === vpc.id && g.name !== 'default') ||
      [...net.routeTables.values()].some((t) => t.vpcId === vpc.id && !t.associations.some((a) => a.main)) ||
      [...net.internetGateways.values()].some((g) => g.attachments.some((a) => a.vpcId === vpc.id)) ||
      [...net.natGateways.values()].some(
        (n) => n.vpcId === vpc.id && !['deleted', 'failed'].includes(settleNat(n, ctx.now).state),
      ) ||
      inVpc(net.endpoints) ||
      inVpc(net.enis);
    if (busy) throw dependencyViolation(`The vpc '${vpc.id}' has dependencies and cannot be deleted.`);
    for (const [id, t] of net.routeTables)
      if (t.vpcId === vpc.id) {
        net.routeTables.delete(id);
        net.forget(id);
      }
    for (const [id, g] of net.securityGroups)
      if (g.vpcId === vpc.id) {
        net.securityGroups.delete(id);
        net.forget(id);
      }
    for (const [id, n] of net.natGateways) if (n.vpcId === vpc.id) net.natGateways.delete(id);
    net.vpcs.delete(vpc.id);
    net.forget(vpc.id);
    return {};
  },

  DescribeVpcs(
    input: { VpcIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string },
    ctx,
  ) {
    const net = ctx.network();
    const fns = { ...VPC_FILTERS, 'owner-id': () => ctx.account };
    const selected = byIds(net.vpcs, input.VpcIds, (id) => notFound('InvalidVpcID.NotFound', 'vpc', id));
    const { items, NextToken } = page(
      applyFilters(selected, input.Filters, fns, (id) => net.tagsOf(id)),
      input,
    );
    return { Vpcs: items.map((v) => describeVpc(net, v, ctx)), NextToken };
  },
};
