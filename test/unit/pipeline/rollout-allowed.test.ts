/**
 * Resolve refuses a run whose after.rollOut names a fleet the deployment may not update (review of
 * issue 10, 5b): RollOut's only appstream:UpdateFleet grant is on the fleets the bundled pipelines
 * name (deploy/rollout-fleet-grants.cjs), and the same list reaches Resolve as
 * ALLOWED_ROLLOUT_FLEETS. Refused before anything is read or launched, not an hour later with
 * AccessDenied at RollOut.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PipelineConfigSchema, type PipelineInput } from '../../../lib/config/pipeline';
import { checkRollOutFleets, resolvePipeline } from '../../../lib/pipeline/resolve';
import { mockDeps } from '../../helpers/mock-deps';
import { samplePipeline } from '../../helpers/pipeline';

const withRollOut = (rollOut: { fleet: string; region?: string }[], region?: string): PipelineInput =>
  samplePipeline({ region, after: { rollOut } } as Partial<PipelineInput>);
const config = (rollOut: { fleet: string; region?: string }[], region?: string) =>
  PipelineConfigSchema.parse(withRollOut(rollOut, region));

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Roll-out fleets a deployment allows (ALLOWED_ROLLOUT_FLEETS)', () => {
  const allowed = JSON.stringify(['eu-west-1/sales', 'us-east-1/lab']);

  it("accepts fleets of the list, each in its target's region, else the run's", () => {
    expect(() =>
      checkRollOutFleets(
        config([{ fleet: 'lab' }, { fleet: 'sales', region: 'eu-west-1' }]),
        'us-east-1',
        allowed,
      ),
    ).not.toThrow();
  });

  it('refuses any other fleet with RollOutFleetNotAllowed naming the field, the fleet and what is allowed', () => {
    expect(() =>
      checkRollOutFleets(
        config([{ fleet: 'lab' }, { fleet: 'finance' }, { fleet: 'sales', region: 'us-east-1' }]),
        'us-east-1',
        allowed,
      ),
    ).toThrow(
      expect.objectContaining({
        name: 'RollOutFleetNotAllowed',
        message: expect.stringMatching(
          /^after\.rollOut\[1\]: us-east-1\/finance, after\.rollOut\[2\]: us-east-1\/sales: not a fleet this deployment may roll out to \(eu-west-1\/sales, us-east-1\/lab;/,
        ),
      }),
    );
    // The same fleet name in another region is another fleet.
    expect(() => checkRollOutFleets(config([{ fleet: 'lab' }]), 'eu-west-1', allowed)).toThrow(
      expect.objectContaining({ name: 'RollOutFleetNotAllowed' }),
    );
  });

  it('an empty list (no bundled pipeline rolls out) refuses every roll-out; a run without one passes', () => {
    expect(() => checkRollOutFleets(config([{ fleet: 'lab' }]), 'us-east-1', '[]')).toThrow(
      expect.objectContaining({ name: 'RollOutFleetNotAllowed', message: expect.stringContaining('(none;') }),
    );
    expect(() => checkRollOutFleets(config([]), 'us-east-1', '[]')).not.toThrow();
  });

  it('unset (local runs: the local runtime has no IAM) allows any fleet', () => {
    expect(() => checkRollOutFleets(config([{ fleet: 'anything' }]), 'us-east-1', undefined)).not.toThrow();
  });

  it('a malformed list is a ConfigError, never an open door', () => {
    for (const bad of ['', 'sales', '{"a":1}', '[1]'])
      expect(() => checkRollOutFleets(config([{ fleet: 'lab' }]), 'us-east-1', bad), bad).toThrow(
        expect.objectContaining({
          name: 'ConfigError',
          message: expect.stringContaining('ALLOWED_ROLLOUT_FLEETS'),
        }),
      );
  });

  it('Resolve refuses before any AWS call: no image looked up, no builder launched', async () => {
    vi.stubEnv('ALLOWED_ROLLOUT_FLEETS', JSON.stringify(['us-east-1/lab']));
    const { deps, appstream } = mockDeps();
    await expect(
      resolvePipeline({ config: withRollOut([{ fleet: 'finance' }], 'us-east-1'), execution: 'e1' }, deps),
    ).rejects.toMatchObject({
      name: 'RollOutFleetNotAllowed',
      message: expect.stringContaining('after.rollOut[0]: us-east-1/finance'),
    });
    expect(appstream.calls()).toHaveLength(0);
  });
});
