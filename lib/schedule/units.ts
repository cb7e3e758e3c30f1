/**
 * A fleet's capacity unit and what a capacity costs in network interfaces, by fleet type
 * (AppStream API reference, ComputeCapacity and Fleet):
 * - ALWAYS_ON / ON_DEMAND single-session: `ComputeCapacity.DesiredInstances`, one instance (and one
 *   network interface) per user.
 * - multi-session (`MaxSessionsPerInstance` > 1): `ComputeCapacity.DesiredSessions`; "fleet
 *   capacity and auto scaling policies must be configured in terms of user sessions, and the
 *   service will calculate and launch the required number of instances" (Administration Guide,
 *   "Scaling Concepts"): ceil(sessions / MaxSessionsPerInstance) instances, one interface each.
 * - ELASTIC: `MaxConcurrentSessions`; AWS streams each session from its own instance with its
 *   own interface in the fleet's subnets (Administration Guide, "Elastic fleets").
 */
export type FleetType = 'ALWAYS_ON' | 'ON_DEMAND' | 'ELASTIC';
export type CapacityUnit = 'DesiredInstances' | 'DesiredSessions' | 'MaxConcurrentSessions';

export function unitOf(fleetType: FleetType, maxSessionsPerInstance?: number): CapacityUnit {
  if (fleetType === 'ELASTIC') return 'MaxConcurrentSessions';
  return (maxSessionsPerInstance ?? 1) > 1 ? 'DesiredSessions' : 'DesiredInstances';
}

/** Network interfaces a capacity needs: one per instance (per session for Elastic fleets). */
export function interfacesFor(unit: CapacityUnit, capacity: number, maxSessionsPerInstance = 1): number {
  if (unit === 'DesiredSessions') return Math.ceil(capacity / Math.max(1, maxSessionsPerInstance));
  return capacity;
}

/** The largest capacity `interfaces` network interfaces can serve. */
export function capacityFor(unit: CapacityUnit, interfaces: number, maxSessionsPerInstance = 1): number {
  if (unit === 'DesiredSessions') return interfaces * Math.max(1, maxSessionsPerInstance);
  return interfaces;
}

/**
 * Whether two capacities run the same fleet. Multi-session fleets run whole instances and report
 * DesiredUserSessions as instances × MaxSessionsPerInstance ("session slots that are either
 * running or pending"), so 9 and 12 sessions on 4-session instances are the same 3 instances:
 * comparing sessions would resize every run.
 */
export function sameCapacity(unit: CapacityUnit, a: number, b: number, maxSessionsPerInstance = 1): boolean {
  return interfacesFor(unit, a, maxSessionsPerInstance) === interfacesFor(unit, b, maxSessionsPerInstance);
}
