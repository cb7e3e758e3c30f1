// serverless.yml `resources:` entry: ${file(deploy/function-alarms.cjs)}. One CloudWatch alarm on
// AWS/Lambda Errors per function of serverless.yml `functions:` (a function added later gets its
// alarm without anyone writing one), each to the AlarmTopic (deploy/resources/observability.yml).
// osls loads .js/.cjs variable files with require() and awaits an exported function; the project
// is "type": "module", so CommonJS needs .cjs.
'use strict';

// osls names a function's resource <Name>LambdaFunction (lib/plugins/aws/lib/naming.js
// getNormalizedFunctionName: first letter upper-cased, - → Dash, _ → Underscore).
const normalized = (name) => {
  const n = name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return n.charAt(0).toUpperCase() + n.slice(1);
};

module.exports = async ({ resolveConfigurationProperty }) => {
  const functions = (await resolveConfigurationProperty(['functions'])) || {};
  const Resources = {};
  for (const name of Object.keys(functions).sort()) {
    const id = normalized(name);
    Resources[`${id}ErrorsAlarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: `appstream-autopilot: function ${name} failed (an error thrown or a timeout; read its log group)`,
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: `${id}LambdaFunction` } }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      },
    };
  }
  return { Resources };
};
