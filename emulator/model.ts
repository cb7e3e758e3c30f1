import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A shape of a botocore service model (only the parts the emulator reads). */
export interface Shape {
  type:
    | 'structure'
    | 'list'
    | 'map'
    | 'string'
    | 'integer'
    | 'long'
    | 'boolean'
    | 'timestamp'
    | 'double'
    | 'float'
    | 'blob';
  members?: Record<string, { shape: string }>;
  required?: string[];
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  sensitive?: boolean;
  exception?: boolean;
}

export interface Operation {
  name: string;
  input?: { shape: string };
  output?: { shape: string };
  errors?: { shape: string }[];
}

export interface ServiceModel {
  /** signingName is absent when it equals endpointPrefix (the tagging API's `tagging`). */
  metadata: {
    apiVersion: string;
    targetPrefix: string;
    signingName?: string;
    endpointPrefix?: string;
    serviceId: string;
  };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

const cache = new Map<string, ServiceModel>();

/** Loads one of the bundled models in emulator/models (copied from botocore, Apache-2.0). */
export function loadModel(
  name: 'appstream' | 'application-autoscaling' | 'resourcegroupstaggingapi',
): ServiceModel {
  let model = cache.get(name);
  if (!model) {
    const file = fileURLToPath(new URL(`./models/${name}.service.json`, import.meta.url));
    model = JSON.parse(readFileSync(file, 'utf8')) as ServiceModel;
    cache.set(name, model);
  }
  return model;
}

/** Error shape names an operation declares in the model. */
export function declaredErrors(model: ServiceModel, operation: string): string[] {
  return (model.operations[operation]?.errors ?? []).map((e) => e.shape);
}

/**
 * The error an operation answers when throttled: the throttling error it declares (the tagging
 * API's `ThrottledException`, which the SDK retries as a throttling code), else the common
 * `ThrottlingException` that AppStream and Application Auto Scaling answer without declaring it
 * (AWS common errors). A declared quota error such as `LimitExceededException` is not throttling.
 */
export function throttlingError(model: ServiceModel, operation: string): string {
  return declaredErrors(model, operation).find((e) => /^Throttl/.test(e)) ?? 'ThrottlingException';
}
