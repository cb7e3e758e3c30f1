import { named } from '../errors';

/** The builder runs an agent of an older protocol: the message names the agent to bake. */
export const BuildAgentOutdated = named('BuildAgentOutdated');
