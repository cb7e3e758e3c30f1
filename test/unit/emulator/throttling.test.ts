import { describe, expect, it } from 'vitest';
import { Faults } from '../../../emulator/faults';
import { loadModel, throttlingError } from '../../../emulator/model';

describe('Emulator: injected throttling answers each service’s own throttling error', () => {
  it('the tagging API’s declared ThrottledException; AppStream and App Auto Scaling the common ThrottlingException', () => {
    const tagging = loadModel('resourcegroupstaggingapi');
    for (const op of Object.keys(tagging.operations))
      expect(throttlingError(tagging, op), op).toBe('ThrottledException');
    // AppStream declares LimitExceededException (a quota) and RequestLimitExceededException on
    // some operations: neither is the throttling answer.
    expect(throttlingError(loadModel('appstream'), 'UpdateFleet')).toBe('ThrottlingException');
    expect(throttlingError(loadModel('appstream'), 'DescribeFleets')).toBe('ThrottlingException');
    expect(throttlingError(loadModel('application-autoscaling'), 'RegisterScalableTarget')).toBe(
      'ThrottlingException',
    );
  });

  it('Faults.beforeCall throws the code it is given', () => {
    const faults = new Faults(() => ({ next: () => 0 }) as never);
    faults.config = { throttleRate: 1 };
    expect(() => faults.beforeCall('GetResources', 'ThrottledException')).toThrow(
      expect.objectContaining({ code: 'ThrottledException' }),
    );
    expect(() => faults.beforeCall('DescribeFleets')).toThrow(
      expect.objectContaining({ code: 'ThrottlingException' }),
    );
  });
});
