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
