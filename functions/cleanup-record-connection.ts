import type { CleanupDeps } from '../lib/cleanup/deps';
import { type AgentLocation, agentFromEnv, RecorderEventSchema, recordEvent } from '../lib/cleanup/recorder';
import { cleanupAwsDeps } from '../lib/lambda/cleanup-deps';
import { functionDefiner } from '../lib/lambda/define';

/**
 * EventBridge target of the cleanup recorder's rules (a rule per region): the CloudTrail events of
 * a connection to, creation or start of an image builder (BUILDER_EVENT_PATTERN) and the S3 events
 * of the builder agent's presence heartbeats in the agent bucket (presenceEventPattern, env
 * AGENT_BUCKET/AGENT_PREFIX), lib/cleanup/events.ts: moves TAG.lastConnection forward and names the
 * creator (TAG.creator). Locally the emulator's event log feeds the same handler
 * (local/cleanup-events.ts catchUpConnections, with `agent` set to the emulator's bucket).
 */
export const { handler, withDeps, schema } = functionDefiner((): CleanupDeps & { agent?: AgentLocation } => ({
  ...cleanupAwsDeps(),
  agent: agentFromEnv(process.env),
}))(RecorderEventSchema, recordEvent);
