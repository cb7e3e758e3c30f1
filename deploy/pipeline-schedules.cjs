// serverless.yml `resources:` entry: ${file(deploy/pipeline-schedules.cjs)}. osls loads .js/.cjs
// variable files with require() and awaits an exported function (an .mjs file would be read as
// plain text; the project is "type": "module", so CommonJS needs .cjs). The work is done in
// TypeScript (lib/config/pipeline-schedules.ts, loaded through tsx, a devDependency like osls):
// one AWS::Scheduler::Schedule per pipeline of the pipelinesDir param that declares `schedule`.
'use strict';

const path = require('node:path');

module.exports = async ({ resolveVariable }) => {
  const dir = (await resolveVariable('param:pipelinesDir')) || 'config/pipelines';
  let tsx;
  try {
    tsx = require('tsx/cjs/api');
  } catch (err) {
    throw new Error(
      `deploy/pipeline-schedules.cjs runs TypeScript through tsx, a dev dependency: run npm ci (${err.message})`,
    );
  }
  const { pipelineScheduleResources } = tsx.require('../lib/config/pipeline-schedules.ts', __filename);
  const serviceDir = path.resolve(__dirname, '..');
  return pipelineScheduleResources(path.isAbsolute(dir) ? dir : path.join(serviceDir, dir));
};
