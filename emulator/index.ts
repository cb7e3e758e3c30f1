import { existsSync } from 'node:fs';
import { applicationAutoScalingService } from './autoscaling';
import { Control } from './control';
import { ec2Service } from './ec2';
import type { EventListener } from './events/log';
import { appstreamService } from './operations';
import { JsonProtocol, type ResponseListener } from './protocol';
import { QueryProtocol } from './query/protocol';
import { listen } from './server';
import { stsService } from './sts';
import { taggingService } from './tagging';
import { World, type WorldOptions } from './world';

export interface EmulatorOptions extends WorldOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Load state from this file at start (if it exists) and save it there at stop. */
  stateFile?: string;
}

export interface RunningEmulator {
  endpoint: string;
  control: Control;
  world: World;
  /** API calls answered, by operation and status (for benchmarks and run summaries). */
  calls: Map<string, number>;
  /**
   * Subscribe to every API response as sent (operation, HTTP status, raw JSON body); returns
   * unsubscribe. A listener may be async; one that throws or rejects is logged to the console and
   * changes nothing.
   */
  onResponse(listener: ResponseListener): () => void;
  /**
   * Subscribe to every event logged (the EventBridge envelope of an AppStream write call's
   * CloudTrail record, see emulator/README.md "CloudTrail events", or of a builder agent's
   * presence heartbeat put, "Builder logons and presence heartbeats") as it is logged; returns unsubscribe. A
   * listener may be async; one that throws or rejects is logged to the console and fails nothing.
   */
  onEvent(listener: EventListener): () => void;
  stop(): Promise<void>;
}

/** Starts the AppStream 2.0 control-plane emulator in this process. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const world = new World(options);
  const control = new Control(world);
  if (options.stateFile && existsSync(options.stateFile)) control.load(options.stateFile);
  const protocol = new JsonProtocol(world, [
    appstreamService(),
    applicationAutoScalingService(),
    taggingService(),
  ]);
  const calls = new Map<string, number>();
  protocol.listeners.push((op) => calls.set(op, (calls.get(op) ?? 0) + 1));
  // EC2 and STS share the JSON protocol's listeners: calls, onResponse and contract tests see them too.
  const query = new QueryProtocol(world, [ec2Service(), stsService()], protocol.listeners);
  const server = await listen(protocol, control, options.host ?? '127.0.0.1', options.port ?? 0, query);
  let stopped = false;
  return {
    endpoint: server.endpoint,
    control,
    world,
    calls,
    onResponse: (listener) => {
      protocol.listeners.push(listener);
      return () => {
        const i = protocol.listeners.indexOf(listener);
        if (i >= 0) protocol.listeners.splice(i, 1);
      };
    },
    onEvent: (listener) => {
      world.events.listeners.push(listener);
      return () => {
        const i = world.events.listeners.indexOf(listener);
        if (i >= 0) world.events.listeners.splice(i, 1);
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
      if (options.stateFile) control.save(options.stateFile);
    },
  };
}

export { Control } from './control';
export type { EventEnvelope, EventListener, EventPage, EventQuery } from './events/log';
export type { DurationsMs } from './lifecycle';
export { DEFAULT_DURATIONS } from './lifecycle';
export type { BuilderLogon, LogoffResult, LogonResult } from './presence';
export { EMULATOR_AGENT_BUCKET, PRESENCE_INTERVAL_MS, presenceKey } from './presence';
export type { ResponseListener } from './protocol';
export type { Quotas } from './world';
export { World } from './world';
