import type { QueryHandler } from '../query/context';
import { applyFilters, ec2Error, type Filter, notFound, page, validateTag } from './common';
import type { Network } from './network';

/** Tags per resource (Amazon EC2 User Guide, "Tag restrictions": 50). */
export const TAGS_PER_RESOURCE = 50;

/** Resource types by id prefix, with their not-found error (EC2 API reference, error codes). */
const TYPES: {
  prefix: string;
  type: string;
  exists: (net: Network, id: string) => boolean;
  code: string;
  noun: string;
}[] = [
  {
    prefix: 'vpc',
    type: 'vpc',
    exists: (n, id) => n.vpcs.has(id),
    code: 'InvalidVpcID.NotFound',
    noun: 'vpc',
  },
  {
    prefix: 'subnet',
    type: 'subnet',
    exists: (n, id) => n.subnets.has(id),
    code: 'InvalidSubnetID.NotFound',
    noun: 'subnet',
  },
  {
    prefix: 'sg',
    type: 'security-group',
    exists: (n, id) => n.securityGroups.has(id),
    code: 'InvalidGroup.NotFound',
    noun: 'security group',
  },
  {
    prefix: 'rtb',
    type: 'route-table',
    exists: (n, id) => n.routeTables.has(id),
    code: 'InvalidRouteTableID.NotFound',
    noun: 'routeTable',
  },
  {
    prefix: 'igw',
    type: 'internet-gateway',
    exists: (n, id) => n.internetGateways.has(id),
    code: 'InvalidInternetGatewayID.NotFound',
    noun: 'internet gateway',
  },
  {
    prefix: 'nat',
    type: 'natgateway',
    exists: (n, id) => n.natGateways.has(id),
    code: 'InvalidNatGatewayID.NotFound',
    noun: 'nat gateway',
  },
  {
    prefix: 'vpce',
    type: 'vpc-endpoint',
    exists: (n, id) => n.endpoints.has(id),
    code: 'InvalidVpcEndpointId.NotFound',
    noun: 'vpc endpoint',
  },
  {
    prefix: 'eni',
    type: 'network-interface',
    exists: (n, id) => n.enis.has(id),
    code: 'InvalidNetworkInterfaceID.NotFound',
    noun: 'network interface',
  },
  {
    prefix: 'eipalloc',
    type: 'elastic-ip',
    exists: (n, id) => n.addresses.has(id),
    code: 'InvalidAllocationID.NotFound',
    noun: 'allocation',
  },
];

const typeOf = (id: string) => TYPES.find((t) => id.startsWith(`${t.prefix}-`));

function resourceOrThrow(net: Network, id: string) {
  const t = typeOf(id);
  if (!t) throw ec2Error('InvalidID', `The ID '${id}' is not valid`);
  if (!t.exists(net, id)) throw notFound(t.code, t.noun, id);
  return t;
}

interface TagRow {
  id: string;
  resourceId: string;
  resourceType: string;
  key: string;
  value: string;
}

export const tagHandlers: Record<string, QueryHandler> = {
  CreateTags(input: { Resources: string[]; Tags: { Key?: string; Value?: string }[] }, ctx) {
    const net = ctx.network();
    for (const t of input.Tags) validateTag(t);
    for (const id of input.Resources) {
      resourceOrThrow(net, id);
      const keys = new Set([...Object.keys(net.tagsOf(id)), ...input.Tags.map((t) => t.Key as string)]);
      if (keys.size > TAGS_PER_RESOURCE)
        throw ec2Error('TagLimitExceeded', `The maximum number of Tags for a resource has been reached.`);
    }
    for (const id of input.Resources) net.setTags(id, input.Tags);
    return {};
  },

  DeleteTags(input: { Resources: string[]; Tags?: { Key?: string; Value?: string }[] }, ctx) {
    const net = ctx.network();
    for (const id of input.Resources) resourceOrThrow(net, id);
    for (const id of input.Resources) {
      const tags = net.tags.get(id);
      if (!tags) continue;
      // No Tags: every tag; a Tag with a Value: only when the value matches (EC2 API reference, DeleteTags).
      if (!input.Tags || input.Tags.length === 0) net.tags.delete(id);
      else
        for (const t of input.Tags)
          if (
            t.Key !== undefined &&
            Object.hasOwn(tags, t.Key) &&
            (t.Value === undefined || tags[t.Key] === t.Value)
          )
            delete tags[t.Key];
    }
    return {};
  },

  DescribeTags(input: { Filters?: Filter[]; MaxResults?: number; NextToken?: string }, ctx) {
    const net = ctx.network();
    const rows: TagRow[] = [];
    for (const [resourceId, tags] of net.tags) {
      const t = typeOf(resourceId);
      if (!t) continue;
      for (const [key, value] of Object.entries(tags))
        rows.push({ id: resourceId, resourceId, resourceType: t.type, key, value });
    }
    rows.sort((a, b) => a.resourceId.localeCompare(b.resourceId) || a.key.localeCompare(b.key));
    const fns = {
      key: (r: TagRow) => r.key,
      value: (r: TagRow) => r.value,
      'resource-id': (r: TagRow) => r.resourceId,
      'resource-type': (r: TagRow) => r.resourceType,
    };
    const { items, NextToken } = page(
      applyFilters(rows, input.Filters, fns, (id) => net.tagsOf(id)),
      input,
    );
    return {
      Tags: items.map((r) => ({
        ResourceId: r.resourceId,
        ResourceType: r.resourceType,
        Key: r.key,
        Value: r.value,
      })),
      NextToken,
    };
  },
};
