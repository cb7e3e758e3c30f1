import { beforeAll } from 'vitest';
import { declaredErrors, type ServiceModel } from '../../emulator/model';
import type { EmulatorFixture } from './emulator';

/** Errors every AWS JSON service may answer, whatever the operation declares. */
export const COMMON_ERRORS = [
  'ValidationException',
  'SerializationException',
  'ThrottlingException',
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'UnknownOperationException',
  'InternalFailure',
  'ServiceUnavailable',
  'NotImplementedException',
];

/**
 * Problems with a response value against an output shape: wrong types, missing required
 * members, members the model does not have, enum values outside the set.
 */
export function outputProblems(model: ServiceModel, shapeName: string, value: unknown, path = '$'): string[] {
  const shape = model.shapes[shapeName];
  const problems: string[] = [];
  const bad = (msg: string) => problems.push(`${path}: ${msg}`);
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return [`${path}: expected object`];
      const obj = value as Record<string, unknown>;
      for (const r of shape.required ?? []) if (obj[r] === undefined) bad(`missing required ${r}`);
      for (const [k, v] of Object.entries(obj)) {
        const member = shape.members?.[k];
        if (!member) bad(`member ${k} is not in ${shapeName}`);
        else problems.push(...outputProblems(model, member.shape, v, `${path}.${k}`));
      }
      break;
    }
    case 'list':
      if (!Array.isArray(value)) return [`${path}: expected list`];
      value.forEach((v, i) => {
        problems.push(...outputProblems(model, shape.member!.shape, v, `${path}[${i}]`));
      });
      break;
    case 'map':
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return [`${path}: expected map`];
      for (const [k, v] of Object.entries(value))
        problems.push(...outputProblems(model, shape.value!.shape, v, `${path}.${k}`));
      break;
    case 'string':
      if (typeof value !== 'string') bad(`expected string, got ${typeof value}`);
      else if (shape.enum && !shape.enum.includes(value))
        bad(`'${value}' not in enum ${shape.enum.join('|')}`);
      break;
    case 'integer':
    case 'long':
      if (!Number.isInteger(value)) bad(`expected integer, got ${JSON.stringify(value)}`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') bad(`expected boolean, got ${typeof value}`);
      break;
    case 'timestamp':
      if (typeof value !== 'number') bad(`expected epoch seconds, got ${JSON.stringify(value)}`);
      break;
    default:
      break;
  }
  return problems;
}

/** A response the emulator answered: its operation, HTTP status and JSON body text. */
export interface RecordedResponse {
  operation: string;
  status: number;
  body: string;
}

/** Records every response of the fixture's emulator for the whole file (checked against a model at the end). */
export function recordResponses(f: EmulatorFixture): RecordedResponse[] {
  const seen: RecordedResponse[] = [];
  beforeAll(() => {
    f.emu.onResponse((operation, status, body) => seen.push({ operation, status, body }));
  });
  return seen;
}

/** Problems of responses against the model: an output off its shape, or an error the operation does not declare. */
export function responseProblems(model: ServiceModel, responses: RecordedResponse[]): string[] {
  const problems: string[] = [];
  for (const s of responses) {
    const body = JSON.parse(s.body);
    if (s.status === 200) {
      const shape = model.operations[s.operation].output?.shape;
      if (shape) problems.push(...outputProblems(model, shape, body).map((p) => `${s.operation} ${p}`));
    } else if (![...declaredErrors(model, s.operation), ...COMMON_ERRORS].includes(body.__type))
      problems.push(`${s.operation} answered undeclared ${body.__type}`);
  }
  return problems;
}
