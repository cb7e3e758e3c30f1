import type { ServiceDefinition } from '../context';
import { loadModel } from '../model';
import { actionHandlers } from './actions';
import { targetHandlers } from './targets';

export { runScheduledActions } from './actions';

/**
 * Application Auto Scaling (JSON 1.1, `AnyScaleFrontendService`, signing name
 * `application-autoscaling`): scalable targets and scheduled actions for AppStream 2.0 fleets.
 * Scaling policies, scaling activities, predictive forecasts and tagging operations answer
 * NotImplementedException (IMPLEMENTATION_COVERAGE.md).
 */
export const applicationAutoScalingService = (): ServiceDefinition => ({
  model: loadModel('application-autoscaling'),
  handlers: { ...targetHandlers, ...actionHandlers },
});
