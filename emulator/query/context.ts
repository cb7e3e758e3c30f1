import type { Network } from '../ec2/network';
import type { World } from '../world';
import type { QueryModel } from './model';

/** What a Query-protocol (EC2, STS) handler gets besides its input. */
export interface QueryCtx {
  world: World;
  account: string;
  region: string;
  /** The caller's SigV4 access key id. */
  accessKeyId: string;
  /** Virtual time of this request, epoch ms. */
  now: number;
  operation: string;
  requestId: string;
  /** The caller's network in this region (created with its default VPC on first use). */
  network(): Network;
}

// biome-ignore lint/suspicious/noExplicitAny: inputs are parsed and validated against the model before handlers see them
export type QueryHandler = (input: any, ctx: QueryCtx) => unknown;

export interface QueryServiceDefinition {
  /** The SigV4 signing name that routes a request here ('ec2', 'sts'). */
  signingName: string;
  model: QueryModel;
  handlers: Record<string, QueryHandler>;
}
