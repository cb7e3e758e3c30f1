import type { QueryServiceDefinition } from '../query/context';
import { loadQueryModel } from '../query/model';
import { attributeHandlers } from './attributes';
import { endpointHandlers } from './endpoints';
import { gatewayHandlers } from './gateways';
import { interfaceHandlers } from './interfaces';
import { routeTableHandlers } from './route-tables';
import { securityGroupHandlers } from './security-groups';
import { subnetHandlers } from './subnets';
import { tagHandlers } from './tags';
import { vpcHandlers } from './vpcs';

/** The EC2 networking subset (EC2 Query protocol), state per account+region in world.network(). */
export function ec2Service(): QueryServiceDefinition {
  return {
    signingName: 'ec2',
    model: loadQueryModel('ec2.subset'),
    handlers: {
      ...vpcHandlers,
      ...subnetHandlers,
      ...securityGroupHandlers,
      ...routeTableHandlers,
      ...gatewayHandlers,
      ...endpointHandlers,
      ...interfaceHandlers,
      ...tagHandlers,
      ...attributeHandlers,
    },
  };
}
