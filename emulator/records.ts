/** Internal records: plain JSON (times in virtual epoch ms) so state files round-trip. */

export type Tags = Record<string, string>;

export interface Lifecycled {
  state: string;
  stateSince: number;
  pending?: { to: string; at: number; token: number };
  /** Set by a fault or a linked failure: the next transition lands in the failed state. */
  failNext?: string;
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
  apps: AssistantApp[];
  errors: ResourceErrorRec[];
  stateChangeReason?: { Code: string; Message: string };
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
  permissions: Record<string, SharePermission>;
  publicReleaseDate?: number;
  builderSupported: boolean;
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
  /** Running instances move linearly from `capacityFrom` to `desired` over this window. */
  capacityFrom: number;
  capacityChangeStart: number;
  capacityChangeEnd: number;
  tags: Tags;
  errors: { ErrorCode: string; ErrorMessage: string }[];
}

export interface StackRec {
  name: string;
  arn: string;
  createdAt: number;
  attrs: Record<string, unknown>;
  fleets: string[];
  tags: Tags;
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
