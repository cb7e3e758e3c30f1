import { parseArgs } from 'node:util';
import { AppStreamClient } from '@aws-sdk/client-appstream';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { startEmulator } from '../emulator';
import { perRegion } from '../lib/aws/per-region';
import { readPipelineFile, validatePipeline } from '../lib/config/load';
import { renderImageName } from '../lib/config/pipeline';
import { MemoryNotifier, SnsNotifier } from '../lib/notify/sns';
import type { PipelineDeps } from '../lib/pipeline/deps';
import { type PreflightProblem, preflight } from '../lib/pipeline/preflight';
import { executionId, resolveBaseImage } from '../lib/pipeline/resolve';
import { deploymentName } from '../lib/tags';
import { LOCAL_ACCOUNT } from '../local/local-deps';

export const VALIDATE_USAGE = `Usage: autopilot pipeline validate <file> [--preflight [--local | --endpoint-url <url> | --aws] [--region <region>]]

Validates the pipeline definition in <file> (YAML) with exactly the checks a run makes before it
launches anything (names, placeholders, regions, bounds).
  --preflight           also the pre-flight a run makes in Resolve, against AppStream/EC2/SNS:
                        image name free (home and copy regions), roll-out fleets exist, base image
                        fits the instance family, SNS topic exists and may be used, the builder's
                        subnet/security groups exist in one VPC with a free IP and a way to S3
  --aws                 against AWS with the default credential chain (the default with --preflight)
  --local               against the embedded emulator (empty account: default network only)
  --endpoint-url <url>  against a running emulator (\`autopilot emulator start\`); SNS is not checked
  --region <region>     the region of a pipeline that names none (default: AWS_REGION or us-east-1)
  -h, --help            this help`;

/** `autopilot pipeline validate`: the schema (what Resolve parses with), then optionally the pre-flight. */
export async function validateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      preflight: { type: 'boolean' },
      local: { type: 'boolean' },
      aws: { type: 'boolean' },
      'endpoint-url': { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(VALIDATE_USAGE);
    return 0;
  }
  const file = positionals[0];
  if (!file) throw new Error(`a pipeline file is required\n${VALIDATE_USAGE}`);
  const config = validatePipeline(readPipelineFile(file), file);
  if (!values.preflight) {
    console.log(`${file}: valid pipeline '${config.name}'`);
    return 0;
  }
  const homeRegion = values.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const emu = values.local ? await startEmulator({ seed: 1 }) : undefined;
  const endpoint = emu?.endpoint ?? values['endpoint-url'];
  const made: { destroy(): void }[] = [];
  const client = <C extends { destroy(): void }>(c: C) => {
    made.push(c);
    return c;
  };
  const local = endpoint
    ? { endpoint, credentials: { accessKeyId: LOCAL_ACCOUNT, secretAccessKey: 'local' } }
    : {};
  const deps: PipelineDeps = {
    deployment: endpoint ? 'local' : deploymentName(),
    region: homeRegion,
    appstream: perRegion((region) => client(new AppStreamClient({ region, ...local }))),
    ec2: perRegion((region) => client(new EC2Client({ region, ...local }))),
    // The emulator has no SNS: the topic is checked against AWS only.
    notifier: endpoint
      ? new MemoryNotifier()
      : new SnsNotifier(perRegion((region) => client(new SNSClient({ region })))),
    channel: {
      submit: async () => {
        throw new Error('validate launches nothing');
      },
    } as unknown as PipelineDeps['channel'],
    clock: { now: () => Date.now() },
    sleep: async () => {},
  };
  try {
    const region = config.region ?? homeRegion;
    const imageName = renderImageName(config.image.name, {
      pipeline: config.name,
      now: Date.now(),
      execution: executionId(`validate-${Date.now()}`),
    });
    const problems: PreflightProblem[] = [];
    const baseImage = await resolveBaseImage(config, region, deps).catch((err: Error) => {
      if (err.name !== 'BaseImageNotFound') throw err;
      problems.push({ field: 'builder.image', message: err.message });
      return undefined;
    });
    const found = await preflight(config, { region, imageName, baseImage }, deps);
    problems.push(...found.filter((p) => p.severity !== 'warning'));
    for (const w of found.filter((p) => p.severity === 'warning'))
      console.error(`${file}: pre-flight warning: ${w.field}: ${w.message}`);
    const where = emu ? 'the embedded emulator' : endpoint ? endpoint : 'AWS';
    if (problems.length) {
      const n = problems.length;
      console.error(
        `${file}: ${n} pre-flight problem${n > 1 ? 's' : ''} against ${where} (a run would fail with PreflightFailed):`,
      );
      for (const p of problems) console.error(`  ${p.field}: ${p.message}`);
      return 1;
    }
    console.log(
      `${file}: valid pipeline '${config.name}', pre-flight passed against ${where} (base image ${baseImage?.Name ?? 'n/a'})`,
    );
    return 0;
  } finally {
    for (const c of made) c.destroy();
    await emu?.stop();
  }
}
