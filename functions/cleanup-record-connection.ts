import { ConnectionEventSchema, recordConnection } from '../lib/cleanup/recorder';
import { cleanupAwsDeps } from '../lib/lambda/cleanup-deps';
import { functionDefiner } from '../lib/lambda/define';

/**
 * EventBridge target for the CloudTrail event of a connection to an image builder
 * (CONNECTION_EVENT_PATTERN, lib/cleanup/events.ts; a rule per region): writes the connection
 * time on the builder (TAG.lastConnection), never moving it back. Locally the emulator's event log
 * feeds the same handler (local/cleanup-events.ts catchUpConnections).
 */
export const { handler, withDeps, schema } = functionDefiner(cleanupAwsDeps)(
  ConnectionEventSchema,
  recordConnection,
);
