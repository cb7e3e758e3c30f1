import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Ctx } from './context';
import { ServiceError } from './errors';
import type { FailCallsSpec, FaultConfig } from './faults';
import { type AssistantResult, runImageAssistant } from './image-assistant';
import type { DurationsMs, Kind } from './lifecycle';
import { loadModel } from './model';
import { getBuilder } from './operations/builders';
import { openStreamingUrl } from './operations/stacks';
import { DEFAULT_ACCOUNT, DEFAULT_REGION, type Quotas, type World } from './world';

export interface Where {
  accountId?: string;
  region?: string;
}

/**
 * The emulator's control handle: what tests and the local runtime use to drive the world
 * (clock, quotas, faults) and to act as the builder or a user. Also served over HTTP under
 * /_emulator/ (see server.ts).
 */
export class Control {
  constructor(readonly world: World) {}

  reset(seed?: number): void {
    this.world.reset(seed);
  }

  clock(): { now: number; speed: number } {
    return { now: this.world.now(), speed: this.world.clock.speed };
  }

  advance(ms: number): { now: number; speed: number } {
    if (!(ms >= 0))
      throw new ServiceError('ValidationException', 'advance must be a non-negative number of ms');
    this.world.clock.advance(ms);
    return this.clock();
  }

  setSpeed(speed: number): { now: number; speed: number } {
    if (!(speed > 0)) throw new ServiceError('ValidationException', 'speed must be a positive number');
    this.world.clock.setSpeed(speed);
    return this.clock();
  }

  setQuotas(quotas: Partial<Quotas>): Quotas {
    this.world.quotas = { ...this.world.quotas, ...quotas };
    return this.world.quotas;
  }

  setDurations(durations: Partial<DurationsMs>, jitterSigma?: number): DurationsMs {
    this.world.durations = { ...this.world.durations, ...durations };
    if (jitterSigma !== undefined) this.world.jitterSigma = jitterSigma;
    return this.world.durations;
  }

  setFaults(config: FaultConfig): void {
    this.world.faults.config = { ...config };
  }

  failCalls(f: FailCallsSpec): void {
    this.world.faults.failCalls(f);
  }

  failTransition(f: { kind: Kind; name?: string; message?: string }): void {
    if (!['imageBuilder', 'image', 'fleet'].includes(f.kind))
      throw new ServiceError('ValidationException', "kind must be 'imageBuilder', 'image' or 'fleet'");
    this.world.faults.failTransition({
      kind: f.kind,
      name: f.name,
      message: f.message ?? 'Injected failure',
    });
  }

  clearFaults(): void {
    this.world.faults.reset();
  }

  /** Runs the Image Assistant CLI on a builder, as the builder-side agent would. */
  imageAssistant(req: { builderName: string; argv: string[] } & Where): AssistantResult {
    if (!Array.isArray(req.argv) || !req.argv.every((a) => typeof a === 'string'))
      throw new ServiceError('ValidationException', 'argv must be an array of strings');
    const ctx = this.ctx(req, 'ImageAssistant');
    return runImageAssistant(ctx, getBuilder(ctx, req.builderName), req.argv);
  }

  /** A user opening a streaming URL from CreateStreamingURL: starts a session. */
  openStreamingUrl(req: { url: string } & Where) {
    return openStreamingUrl(this.ctx(req, 'OpenStreamingURL'), req.url);
  }

  state(): unknown {
    return {
      clock: this.clock(),
      quotas: this.world.quotas,
      faults: this.world.faults.snapshot(),
      ...(this.world.toJSON() as object),
    };
  }

  save(file: string): void {
    writeFileSync(file, JSON.stringify(this.world.toJSON()));
  }

  load(file: string): void {
    this.world.load(JSON.parse(readFileSync(file, 'utf8')));
  }

  private ctx(where: Where, operation: string): Ctx {
    const account = where.accountId ?? DEFAULT_ACCOUNT;
    const region = where.region ?? DEFAULT_REGION;
    this.world.settle(region);
    return {
      world: this.world,
      store: this.world.store(account, region),
      model: loadModel('appstream'),
      account,
      region,
      now: this.world.now(),
      operation,
      requestId: randomUUID(),
    };
  }
}
