// What the deploy/*.cjs variable files (serverless.yml ${file(…)} entries) share: the files their
// params name, the project's TypeScript (through tsx), and the IAM policy resource they add.
'use strict';

const { readFileSync } = require('node:fs');
const path = require('node:path');
const { parse } = require('yaml');

/** The service folder (serverless.yml's): a param's relative path is relative to it. */
const SERVICE_DIR = path.resolve(__dirname, '..', '..');

/** A path as a param gives it: absolute, or relative to the service folder. */
const servicePath = (file) => (path.isAbsolute(file) ? file : path.join(SERVICE_DIR, file));

/** The YAML file the param `name` names (else `dflt`), parsed; {} when it is empty. */
async function yamlParam(resolveVariable, name, dflt) {
  const file = (await resolveVariable(`param:${name}`)) || dflt;
  return parse(readFileSync(servicePath(file), 'utf8')) ?? {};
}

/**
 * `require` for the project's TypeScript modules, relative to `caller` (a variable file's
 * __filename), through tsx: a dev dependency, like osls.
 */
function tsRequire(caller) {
  let tsx;
  try {
    tsx = require('tsx/cjs/api');
  } catch (err) {
    throw new Error(
      `${path.relative(SERVICE_DIR, caller)} runs TypeScript through tsx, a dev dependency: run npm ci (${err.message})`,
    );
  }
  return (id) => tsx.require(id, caller);
}

/** The stack resources of one IAM policy, `id`, on the `roles` (logical IDs) with `statements`. */
function policyResources(id, policyName, roles, statements) {
  return {
    Resources: {
      [id]: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: policyName,
          Roles: roles.map((r) => ({ Ref: r })),
          PolicyDocument: { Version: '2012-10-17', Statement: statements },
        },
      },
    },
  };
}

module.exports = { servicePath, yamlParam, tsRequire, policyResources };
