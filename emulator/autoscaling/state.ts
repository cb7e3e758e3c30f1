/**
 * Application Auto Scaling state of one account in one region: scalable targets and their
 * scheduled actions (plain JSON records, times in virtual epoch ms, so state files round-trip).
 */

/** A scalable target (API reference, ScalableTarget). Keyed by namespace, resource id, dimension. */
export interface TargetRec {
  serviceNamespace: string;
  resourceId: string;
  scalableDimension: string;
  min: number;
  max: number;
  roleArn: string;
  arn: string;
  createdAt: number;
  suspended: {
    DynamicScalingInSuspended: boolean;
    DynamicScalingOutSuspended: boolean;
    ScheduledScalingSuspended: boolean;
  };
  /** Tags given at registration (TagResource/ListTagsForResource are not implemented). */
  tags?: Record<string, string>;
}

/** A scheduled action (API reference, ScheduledAction), with when it runs next (undefined: never again). */
export interface ActionRec {
  name: string;
  arn: string;
  serviceNamespace: string;
  resourceId: string;
  scalableDimension: string;
  schedule: string;
  timezone?: string;
  startTime?: number;
  endTime?: number;
  min?: number;
  max?: number;
  createdAt: number;
  /** When it was last put: rate() counts from here unless StartTime is set. */
  rateFrom?: number;
  nextRun?: number;
}

const targetKey = (namespace: string, resourceId: string, dimension: string) =>
  `${namespace}\t${resourceId}\t${dimension}`;

export class ScalingState {
  /** Targets in registration order (DescribeScalableTargets pages over it). */
  readonly targets = new Map<string, TargetRec>();
  /** Scheduled actions in creation order, keyed by target key + name. */
  readonly actions = new Map<string, ActionRec>();
  /** nextDue's answer until an action changes (null: to compute), so an idle settle is O(1). */
  private due: number | undefined | null = null;

  constructor(
    readonly account: string,
    readonly region: string,
  ) {}

  target(namespace: string, resourceId: string, dimension: string): TargetRec | undefined {
    return this.targets.get(targetKey(namespace, resourceId, dimension));
  }

  putTarget(t: TargetRec): void {
    this.targets.set(targetKey(t.serviceNamespace, t.resourceId, t.scalableDimension), t);
  }

  /**
   * Removes a target and its scheduled actions: "Deregistering a scalable target deletes the
   * scaling policies and the scheduled actions that are associated with it" (DeregisterScalableTarget).
   */
  removeTarget(t: TargetRec): void {
    const key = targetKey(t.serviceNamespace, t.resourceId, t.scalableDimension);
    this.targets.delete(key);
    for (const [k] of this.actions) if (k.startsWith(`${key}\t`)) this.actions.delete(k);
    this.changed();
  }

  action(namespace: string, resourceId: string, dimension: string, name: string): ActionRec | undefined {
    return this.actions.get(`${targetKey(namespace, resourceId, dimension)}\t${name}`);
  }

  putAction(a: ActionRec): void {
    this.actions.set(`${targetKey(a.serviceNamespace, a.resourceId, a.scalableDimension)}\t${a.name}`, a);
    this.changed();
  }

  deleteAction(a: ActionRec): void {
    this.actions.delete(`${targetKey(a.serviceNamespace, a.resourceId, a.scalableDimension)}\t${a.name}`);
    this.changed();
  }

  /** Call after changing an action's nextRun in place. */
  changed(): void {
    this.due = null;
  }

  actionsOf(t: TargetRec): ActionRec[] {
    const prefix = `${targetKey(t.serviceNamespace, t.resourceId, t.scalableDimension)}\t`;
    return [...this.actions].filter(([k]) => k.startsWith(prefix)).map(([, a]) => a);
  }

  /** The earliest time a scheduled action is due (undefined: none), so a settle costs O(actions) only when one is. */
  nextDue(): number | undefined {
    if (this.due !== null) return this.due;
    let next: number | undefined;
    for (const a of this.actions.values())
      if (a.nextRun !== undefined && (next === undefined || a.nextRun < next)) next = a.nextRun;
    this.due = next;
    return next;
  }

  toJSON(): unknown {
    return {
      account: this.account,
      region: this.region,
      targets: [...this.targets.values()],
      actions: [...this.actions.values()],
    };
  }

  static fromJSON(data: { account: string; region: string; targets?: TargetRec[]; actions?: ActionRec[] }) {
    const s = new ScalingState(data.account, data.region);
    for (const t of data.targets ?? []) s.putTarget(t);
    for (const a of data.actions ?? []) s.putAction(a);
    return s;
  }
}
