import type { QueryCtx, QueryHandler } from '../query/context';
import { applyFilters, byIds, ec2Error, type Filter, page, type TagSpecification, tagSpecs } from './common';
import type { EndpointRec, Network } from './network';
import { routeTableOrThrow } from './route-tables';
import { vpcOrThrow } from './vpcs';

const DEFAULT_POLICY =
  '{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}';

/** Gateway endpoints exist for S3 and DynamoDB (Amazon VPC User Guide, "Gateway endpoints"). */
const GATEWAY_SERVICES = ['s3', 'dynamodb'];

/** The AWS-managed prefix list of a gateway service in a region (a stable id per region+service). */
export function prefixListId(region: string, service: string): string {
  let h = 0x811c9dc5;
  for (const c of `${region}/${service}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return `pl-${h.toString(16).padStart(8, '0')}`;
}

const serviceOf = (e: EndpointRec) => e.serviceName.split('.').pop() ?? '';

function describeEndpoint(net: Network, e: EndpointRec, ctx: QueryCtx) {
  return {
    VpcEndpointId: e.id,
    VpcEndpointType: e.type,
    VpcId: e.vpcId,
    ServiceName: e.serviceName,
    State: e.state,
    PolicyDocument: e.policyDocument,
    RouteTableIds: e.routeTableIds,
    SubnetIds: [],
    Groups: [],
    IpAddressType: 'ipv4',
    PrivateDnsEnabled: false,
    RequesterManaged: false,
    NetworkInterfaceIds: [],
    DnsEntries: [],
    CreationTimestamp: e.createTime,
    OwnerId: ctx.account,
    Tags: net.tagList(e.id),
  };
}

function removeRoutes(net: Network, e: EndpointRec, tables: string[]): void {
  for (const id of tables) {
    const rt = net.routeTables.get(id);
    if (rt) rt.routes = rt.routes.filter((r) => r.gatewayId !== e.id);
  }
}

export const endpointHandlers: Record<string, QueryHandler> = {
  CreateVpcEndpoint(
    input: {
      VpcId: string;
      ServiceName?: string;
      VpcEndpointType?: string;
      RouteTableIds?: string[];
      PolicyDocument?: string;
      ClientToken?: string;
      TagSpecifications?: TagSpecification[];
    },
    ctx,
  ) {
    const net = ctx.network();
    const vpc = vpcOrThrow(net, input.VpcId);
    if (input.ServiceName === undefined)
      throw ec2Error('MissingParameter', 'The request must contain the parameter ServiceName');
    const type = input.VpcEndpointType ?? 'Gateway';
    const service = GATEWAY_SERVICES.find((s) => input.ServiceName === `com.amazonaws.${ctx.region}.${s}`);
    if (!service)
      throw ec2Error('InvalidServiceName', `The Vpc Endpoint Service '${input.ServiceName}' does not exist`);
    if (type !== 'Gateway')
      throw ec2Error(
        'Unsupported',
        `The emulator models Gateway endpoints only (for S3 and DynamoDB); VpcEndpointType ${type} is not supported.`,
      );
    if (input.PolicyDocument !== undefined) {
      try {
        JSON.parse(input.PolicyDocument);
      } catch {
        throw ec2Error('MalformedPolicyDocument', 'The policy document is not valid JSON.');
      }
    }
    const tables = [...new Set(input.RouteTableIds ?? [])];
    const pl = prefixListId(ctx.region, service);
    for (const id of tables) {
      const rt = routeTableOrThrow(net, id);
      if (rt.vpcId !== vpc.id)
        throw ec2Error('InvalidParameter', `Route table ${id} does not belong to vpc ${vpc.id}`);
      if (rt.routes.some((r) => r.destinationPrefixListId === pl))
        throw ec2Error(
          'RouteAlreadyExists',
          `route table ${id} already has a route with destination-prefix-list-id ${pl}`,
        );
    }
    const apply = tagSpecs(input.TagSpecifications, 'vpc-endpoint', net);
    const e: EndpointRec = {
      id: net.newId('vpce'),
      vpcId: vpc.id,
      serviceName: input.ServiceName,
      type: 'Gateway',
      state: 'available',
      routeTableIds: tables,
      policyDocument: input.PolicyDocument ?? DEFAULT_POLICY,
      createTime: ctx.now,
    };
    // A gateway endpoint adds a route to the service's prefix list in each of its route tables.
    for (const id of tables)
      net.routeTables.get(id)?.routes.push({
        destinationPrefixListId: pl,
        gatewayId: e.id,
        origin: 'CreateRoute',
        state: 'active',
      });
    net.endpoints.set(e.id, e);
    apply(e.id);
    return { VpcEndpoint: describeEndpoint(net, e, ctx), ClientToken: input.ClientToken };
  },

  DeleteVpcEndpoints(input: { VpcEndpointIds: string[] }, ctx) {
    const net = ctx.network();
    const unsuccessful: { ResourceId: string; Error: { Code: string; Message: string } }[] = [];
    for (const id of input.VpcEndpointIds) {
      const e = net.endpoints.get(id);
      if (!e) {
        unsuccessful.push({
          ResourceId: id,
          Error: {
            Code: 'InvalidVpcEndpoint.NotFound',
            Message: `The Vpc Endpoint Id '${id}' does not exist`,
          },
        });
        continue;
      }
      removeRoutes(net, e, e.routeTableIds);
      net.endpoints.delete(id);
      net.forget(id);
    }
    return { Unsuccessful: unsuccessful };
  },

  DescribeVpcEndpoints(
    input: { VpcEndpointIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string },
    ctx,
  ) {
    const net = ctx.network();
    const fns = {
      'ip-address-type': () => 'ipv4',
      'service-name': (e: EndpointRec) => e.serviceName,
      'service-region': () => ctx.region,
      'vpc-id': (e: EndpointRec) => e.vpcId,
      'vpc-endpoint-id': (e: EndpointRec) => e.id,
      'vpc-endpoint-state': (e: EndpointRec) => e.state,
      'vpc-endpoint-type': (e: EndpointRec) => e.type,
      'route-table-id': (e: EndpointRec) => e.routeTableIds,
      'owner-id': () => ctx.account,
      'prefix-list-id': (e: EndpointRec) => prefixListId(ctx.region, serviceOf(e)),
    };
    const selected = byIds(net.endpoints, input.VpcEndpointIds, (id) =>
      ec2Error('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${id}' does not exist`),
    );
    const { items, NextToken } = page(
      applyFilters(selected, input.Filters, fns, (id) => net.tagsOf(id)),
      input,
    );
    return { VpcEndpoints: items.map((e) => describeEndpoint(net, e, ctx)), NextToken };
  },
};
