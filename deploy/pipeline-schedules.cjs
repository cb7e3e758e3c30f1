// serverless.yml `resources:` entry: ${file(deploy/pipeline-schedules.cjs)}. osls loads .js/.cjs
// variable files with require() and awaits an exported function (an .mjs file would be read as
// plain text; the project is "type": "module", so CommonJS needs .cjs). The work is done in
// TypeScript (lib/config/pipeline-schedules.ts, loaded through tsx, a devDependency like osls):
// one AWS::Scheduler::Schedule per pipeline of the pipelinesDir param that declares `schedule`.
'use strict';

const { servicePath, tsRequire } = require('./lib/variables.cjs');

module.exports = async ({ resolveVariable }) => {
  const dir = (await resolveVariable('param:pipelinesDir')) || 'config/pipelines';
  const { pipelineScheduleResources } = tsRequire(__filename)('../lib/config/pipeline-schedules.ts');
  return pipelineScheduleResources(servicePath(dir));
};
