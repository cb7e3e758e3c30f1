import type { QueryCtx, QueryHandler } from '../query/context';
import {
  applyFilters,
  arn,
  byIds,
  checkId,
  dependencyViolation,
  ec2Error,
  type Filter,
  invalidParameter,
  page,
  type TagSpecification,
  tagSpecs,
} from './common';
import type { Network, SgRec, SgRule } from './network';
import { vpcOrThrow } from './vpcs';

/** EC2 API reference, error codes: InvalidGroup.NotFound ("The security group '<id>' does not exist"). */
const groupNotFound = (id: string) =>
  ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`);

export function groupOrThrow(net: Network, id: string): SgRec {
  checkId(id, 'sg', 'InvalidGroupId.Malformed');
  const sg = net.securityGroups.get(id);
  if (!sg) throw groupNotFound(id);
  return sg;
}

function rule(r: SgRule) {
  return {
    IpProtocol: r.IpProtocol,
    FromPort: r.FromPort,
    ToPort: r.ToPort,
    IpRanges: r.IpRanges,
    Ipv6Ranges: [],
    PrefixListIds: [],
    UserIdGroupPairs: r.UserIdGroupPairs,
  };
}

export function describeGroup(net: Network, sg: SgRec, ctx: QueryCtx) {
  return {
    GroupId: sg.id,
    GroupName: sg.name,
    Description: sg.description,
    VpcId: sg.vpcId,
    OwnerId: ctx.account,
    SecurityGroupArn: arn(ctx, 'security-group', sg.id),
    IpPermissions: sg.ingress.map(rule),
    IpPermissionsEgress: sg.egress.map(rule),
    Tags: net.tagList(sg.id),
  };
}

const PRINTABLE = /^[\x20-\x7E]*$/;

export const securityGroupHandlers: Record<string, QueryHandler> = {
  CreateSecurityGroup(
    input: { GroupName: string; Description: string; VpcId?: string; TagSpecifications?: TagSpecification[] },
    ctx,
  ) {
    const net = ctx.network();
    const vpcId = input.VpcId ?? net.defaultVpc()?.id;
    if (!vpcId) throw ec2Error('VPCIdNotSpecified', 'No default VPC for this user');
    vpcOrThrow(net, vpcId);
    // EC2 API reference, CreateSecurityGroup: up to 255 characters; "sg-*" names and "default" are not allowed.
    if (input.GroupName.length === 0 || input.GroupName.length > 255 || !PRINTABLE.test(input.GroupName))
      throw invalidParameter(
        `Value (${input.GroupName}) for parameter GroupName is invalid. Character sets beyond ASCII are not supported.`,
      );
    if (/^sg-/i.test(input.GroupName))
      throw invalidParameter(
        `Value (${input.GroupName}) for parameter GroupName is invalid. Group names may not be in the format sg-*.`,
      );
    if (input.Description.length > 255 || !PRINTABLE.test(input.Description))
      throw invalidParameter(
        `Value (${input.Description}) for parameter GroupDescription is invalid. Character sets beyond ASCII are not supported.`,
      );
    if (input.GroupName === 'default')
      throw ec2Error('InvalidGroup.Reserved', "The security group 'default' is reserved");
    for (const g of net.securityGroups.values())
      if (g.vpcId === vpcId && g.name === input.GroupName)
        throw ec2Error(
          'InvalidGroup.Duplicate',
          `The security group '${input.GroupName}' already exists for VPC '${vpcId}'`,
        );
    const apply = tagSpecs(input.TagSpecifications, 'security-group', net);
    const sg = net.addSecurityGroup(vpcId, input.GroupName, input.Description);
    apply(sg.id);
    return { GroupId: sg.id, SecurityGroupArn: arn(ctx, 'security-group', sg.id), Tags: net.tagList(sg.id) };
  },

  DeleteSecurityGroup(input: { GroupId?: string; GroupName?: string }, ctx) {
    const net = ctx.network();
    let sg: SgRec | undefined;
    if (input.GroupId !== undefined) sg = groupOrThrow(net, input.GroupId);
    else if (input.GroupName !== undefined) {
      // [Default VPC] by name only.
      const vpc = net.defaultVpc();
      sg = [...net.securityGroups.values()].find((g) => g.vpcId === vpc?.id && g.name === input.GroupName);
      if (!sg)
        throw ec2Error(
          'InvalidGroup.NotFound',
          `The security group '${input.GroupName}' does not exist in default VPC '${vpc?.id ?? 'none'}'`,
        );
    } else throw ec2Error('MissingParameter', 'The request must contain the parameter groupName or groupId');
    if (sg.name === 'default')
      throw ec2Error(
        'CannotDelete',
        `the specified group: "${sg.id}" name: "default" cannot be deleted by a user`,
      );
    // EC2 API reference, DeleteSecurityGroup: in use by a network interface or referenced by another group → DependencyViolation.
    const id = sg.id;
    const usedByEni = [...net.enis.values()].some((e) => e.securityGroupIds.includes(id));
    const referenced = [...net.securityGroups.values()].some(
      (g) =>
        g.id !== id &&
        [...g.ingress, ...g.egress].some((r) => r.UserIdGroupPairs.some((p) => p.GroupId === id)),
    );
    if (usedByEni || referenced) throw dependencyViolation(`resource ${id} has a dependent object`);
    net.securityGroups.delete(id);
    net.forget(id);
    return { GroupId: id, Return: true };
  },

  DescribeSecurityGroups(
    input: {
      GroupIds?: string[];
      GroupNames?: string[];
      Filters?: Filter[];
      MaxResults?: number;
      NextToken?: string;
    },
    ctx,
  ) {
    const net = ctx.network();
    let selected = byIds(net.securityGroups, input.GroupIds, groupNotFound);
    if (input.GroupNames?.length) {
      const vpc = net.defaultVpc();
      for (const name of input.GroupNames)
        if (!selected.some((g) => g.vpcId === vpc?.id && g.name === name))
          throw ec2Error(
            'InvalidGroup.NotFound',
            `The security group '${name}' does not exist in default VPC '${vpc?.id ?? 'none'}'`,
          );
      selected = selected.filter((g) => g.vpcId === vpc?.id && input.GroupNames?.includes(g.name));
    }
    const perm =
      (rules: (g: SgRec) => SgRule[], f: (r: SgRule) => (string | number | undefined)[]) => (g: SgRec) =>
        rules(g).flatMap(f);
    const ing = (g: SgRec) => g.ingress;
    const egr = (g: SgRec) => g.egress;
    const fns = {
      description: (g: SgRec) => g.description,
      'group-id': (g: SgRec) => g.id,
      'group-name': (g: SgRec) => g.name,
      'owner-id': () => ctx.account,
      'vpc-id': (g: SgRec) => g.vpcId,
      'ip-permission.protocol': perm(ing, (r) => [r.IpProtocol]),
      'ip-permission.from-port': perm(ing, (r) => [r.FromPort]),
      'ip-permission.to-port': perm(ing, (r) => [r.ToPort]),
      'ip-permission.cidr': perm(ing, (r) => r.IpRanges.map((x) => x.CidrIp)),
      'ip-permission.group-id': perm(ing, (r) => r.UserIdGroupPairs.map((x) => x.GroupId)),
      'ip-permission.user-id': perm(ing, (r) => r.UserIdGroupPairs.map((x) => x.UserId)),
      'egress.ip-permission.protocol': perm(egr, (r) => [r.IpProtocol]),
      'egress.ip-permission.from-port': perm(egr, (r) => [r.FromPort]),
      'egress.ip-permission.to-port': perm(egr, (r) => [r.ToPort]),
      'egress.ip-permission.cidr': perm(egr, (r) => r.IpRanges.map((x) => x.CidrIp)),
      'egress.ip-permission.group-id': perm(egr, (r) => r.UserIdGroupPairs.map((x) => x.GroupId)),
      'egress.ip-permission.user-id': perm(egr, (r) => r.UserIdGroupPairs.map((x) => x.UserId)),
      // EC2 API Reference, DescribeSecurityGroups, Filters (the subset has no IPv6 or prefix-list rules).
      'ip-permission.group-name': perm(ing, (r) =>
        r.UserIdGroupPairs.map((x) => net.securityGroups.get(x.GroupId)?.name),
      ),
      'egress.ip-permission.group-name': perm(egr, (r) =>
        r.UserIdGroupPairs.map((x) => net.securityGroups.get(x.GroupId)?.name),
      ),
      'ip-permission.ipv6-cidr': () => undefined,
      'egress.ip-permission.ipv6-cidr': () => undefined,
      'ip-permission.prefix-list-id': () => undefined,
      'egress.ip-permission.prefix-list-id': () => undefined,
    };
    const { items, NextToken } = page(
      applyFilters(selected, input.Filters, fns, (id) => net.tagsOf(id)),
      input,
    );
    return { SecurityGroups: items.map((g) => describeGroup(net, g, ctx)), NextToken };
  },
};
