import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Shape } from '../model';

/** A member reference in a botocore Query/EC2 model: the shape plus its wire names. */
export interface QueryMember {
  shape: string;
  locationName?: string;
  queryName?: string;
  flattened?: boolean;
  idempotencyToken?: boolean;
}

/** A Query/EC2 model shape: the JSON model's shape plus the wire names of its members. */
export interface QueryShape extends Omit<Shape, 'members' | 'member' | 'key' | 'value'> {
  members?: Record<string, QueryMember>;
  member?: QueryMember;
  key?: QueryMember;
  value?: QueryMember;
  flattened?: boolean;
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
}

export interface QueryOperation {
  name: string;
  input?: { shape: string };
  output?: { shape: string; resultWrapper?: string };
  errors?: { shape: string }[];
}

/** A botocore model of a Query-protocol service (`query` for STS, `ec2` for EC2). */
export interface QueryModel {
  metadata: {
    apiVersion: string;
    protocol: 'query' | 'ec2';
    signingName?: string;
    endpointPrefix: string;
    serviceId: string;
    xmlNamespace: string;
  };
  operations: Record<string, QueryOperation>;
  shapes: Record<string, QueryShape>;
}

const cache = new Map<string, QueryModel>();

/** Loads a bundled model from emulator/models (copied from botocore, Apache-2.0). */
export function loadQueryModel(file: 'ec2.subset' | 'sts'): QueryModel {
  let model = cache.get(file);
  if (!model) {
    const path = fileURLToPath(new URL(`../models/${file}.service.json`, import.meta.url));
    model = JSON.parse(readFileSync(path, 'utf8')) as QueryModel;
    cache.set(file, model);
  }
  return model;
}

/** True when `name` is one of the model's own operations (never an Object.prototype member). */
export function hasOperation(model: QueryModel, name: string): boolean {
  return Object.hasOwn(model.operations, name);
}
