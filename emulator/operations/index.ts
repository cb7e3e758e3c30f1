import type { ServiceDefinition } from '../context';
import { loadModel } from '../model';
import { builderHandlers } from './builders';
import { directoryHandlers } from './directories';
import { fleetHandlers } from './fleets';
import { imageHandlers } from './images';
import { stackHandlers } from './stacks';
import { tagHandlers } from './tags';
import { userHandlers } from './users';

/** AppStream 2.0: every implemented operation; the rest answer NotImplementedException. */
export const appstreamService = (): ServiceDefinition => ({
  model: loadModel('appstream'),
  handlers: {
    ...builderHandlers,
    ...imageHandlers,
    ...fleetHandlers,
    ...stackHandlers,
    ...userHandlers,
    ...tagHandlers,
    ...directoryHandlers,
  },
});

/**
 * Application Auto Scaling: registered so its target prefix is routed and validated; its
 * operations come with the fleet-schedules work and until then answer NotImplementedException.
 */
export const applicationAutoScalingService = (): ServiceDefinition => ({
  model: loadModel('application-autoscaling'),
  handlers: {},
});
