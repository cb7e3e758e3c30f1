/** Internal records: plain JSON (times in virtual epoch ms) so state files round-trip. */

export type Tags = Record<string, string>;

export interface Lifecycled {
  state: string;
  stateSince: number;
  pending?: { to: string; at: number; token: number };
  /** Set by a fault or a linked failure: the next transition lands in the failed state. */
  failNext?: string;
  /** The error code that failure reports (default: INTERNAL_SERVICE_ERROR / FLEET_INSTANCE_PROVISIONING_FAILURE). */
  failCode?: string;
}

export interface ResourceErrorRec {
  ErrorCode: string;
  ErrorMessage: string;
  ErrorTimestamp: number;
}

export interface AssistantApp {
  Name: string;
  AbsoluteAppPath: string;
  DisplayName?: string;
  AbsoluteIconPath?: string;
  WorkingDirectory?: string;
  LaunchParameters?: string;
  AbsoluteManifestPath?: string;
}

export interface BuilderRec extends Lifecycled {
  name: string;
  arn: string;
  createdAt: number;
  imageArn: string;
  platform: string;
  attrs: Record<string, unknown>;
  agentVersion: string;
  tags: Tags;
  /** Set when tags are removed from it: untagged, the tagging API still lists it ("previously tagged"). */
  everTagged?: boolean;
  apps: AssistantApp[];
  errors: ResourceErrorRec[];
  stateChangeReason?: { Code: string; Message: string };
  /** The elastic network interface it holds while it has an instance (PENDING … STOPPING). */
  eni?: { id: string; ip: string };
}

export interface SharePermission {
  allowFleet: boolean;
  allowImageBuilder: boolean;
}

export interface ImageRec extends Lifecycled {
  name: string;
  arn: string;
  ownerAccount: string;
  visibility: 'PUBLIC' | 'PRIVATE';
  platform: string;
  createdAt: number;
  baseImageArn?: string;
  builderName?: string;
  displayName?: string;
  description?: string;
  agentVersion: string;
  applications: AssistantApp[];
  dynamicAppProviders?: boolean;
  tags: Tags;
  /** Set when tags are removed from it: untagged, the tagging API still lists it ("previously tagged"). */
  everTagged?: boolean;
  permissions: Record<string, SharePermission>;
  publicReleaseDate?: number;
  builderSupported: boolean;
  /** Image.SupportedInstanceFamilies (AWS omits it on some images; tools then go by the name). */
  families?: string[];
  errors: ResourceErrorRec[];
  stateChangeReason?: { Code: string; Message: string };
}

export interface FleetRec extends Lifecycled {
  name: string;
  arn: string;
  createdAt: number;
  fleetType: string;
  attrs: Record<string, unknown>;
  desired: number;
  /** Desired sessions as requested (multi-session fleets); `desired` is then in instances. */
  desiredSessions?: number;
  /**
   * Instances the fleet can run: min(desired, its network interfaces, its streaming-instance
   * quota); set by capacity.ts whenever one of them changes (absent in old state files: desired).
   */
  target?: number;
  /** Network interfaces the fleet holds (created as it starts or grows, released when it stops). */
  eniCount?: number;
  /** Running instances move linearly from `capacityFrom` to `target` over this window. */
  capacityFrom: number;
  capacityChangeStart: number;
  capacityChangeEnd: number;
  tags: Tags;
  /** Set when tags are removed from it: untagged, the tagging API still lists it ("previously tagged"). */
  everTagged?: boolean;
  errors: { ErrorCode: string; ErrorMessage: string }[];
}

export interface StackRec {
  name: string;
  arn: string;
  createdAt: number;
  attrs: Record<string, unknown>;
  fleets: string[];
  tags: Tags;
  /** Set when tags are removed from it: untagged, the tagging API still lists it ("previously tagged"). */
  everTagged?: boolean;
}

export interface UserRec {
  userName: string;
  authenticationType: string;
  arn: string;
  createdAt: number;
  enabled: boolean;
  status: string;
  firstName?: string;
  lastName?: string;
}

export interface UserStackRec {
  stackName: string;
  userName: string;
  authenticationType: string;
  sendEmailNotification?: boolean;
}

export interface SessionRec {
  id: string;
  userId: string;
  stackName: string;
  fleetName: string;
  state: 'ACTIVE' | 'PENDING' | 'EXPIRED';
  connectionState: 'CONNECTED' | 'NOT_CONNECTED';
  startTime: number;
  maxExpirationTime: number;
  authenticationType: string;
  instanceId: string;
  /** When the user disconnected (NOT_CONNECTED); the session ends DisconnectTimeoutInSeconds later. */
  disconnectedAt?: number;
  /** When the session ends by itself (max duration, or disconnect timeout while NOT_CONNECTED). */
  endsAt?: number;
  /** Guards the scheduled end of the session against stale entries (disconnect/reconnect reschedule it). */
  token?: number;
  /** Owner of the network interface an Elastic fleet session holds. */
  eniOwner?: string;
  /** Since when the connected user has been idle (no input); cleared by activity or a reconnect. */
  idleSince?: number;
  /** When an idle user is disconnected (idleSince + the fleet's IdleDisconnectTimeoutInSeconds). */
  idleDisconnectAt?: number;
  /** Guards the scheduled idle disconnect against stale entries. */
  idleToken?: number;
}

export interface DirectoryRec {
  DirectoryName: string;
  OrganizationalUnitDistinguishedNames: string[];
  ServiceAccountCredentials?: { AccountName: string; AccountPassword: string };
  CertificateBasedAuthProperties?: Record<string, unknown>;
  CreatedTime: number;
}

export interface StreamingTokenRec {
  stackName: string;
  fleetName: string;
  userId: string;
  expires: number;
}
