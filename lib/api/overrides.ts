/**
 * The overrides port of the API (POST /fleets/{name}/override): a temporary capacity for one fleet,
 * stored the way `autopilot schedule override` stores it (bin/schedule-override.ts): the fleet's
 * TAG.override tag `capacity@until` (lib/schedule/override.ts formatOverride), which the fleet
 * schedule's next run applies and removes once expired.
 */
import {
  type AppStreamClient,
  DescribeFleetsCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-appstream';
import { aws } from '../aws/call';
import { formatOverride } from '../schedule/override';
import { TAG } from '../tags';

export type OverrideResult =
  | { fleet: string; arn: string; tag: { key: string; value: string } }
  | { fleet: string; arn: string; cleared: true };

export interface Overrides {
  /** Sets the fleet's override; undefined when there is no such fleet (404). */
  set(fleet: string, override: { capacity: number; until: number }): Promise<OverrideResult | undefined>;
  /** Removes the fleet's override; undefined when there is no such fleet (404). */
  clear(fleet: string): Promise<OverrideResult | undefined>;
}

/**
 * AppStream behind the port: DescribeFleets by name (the ARN), then TagResource/UntagResource of
 * TAG.override only. Permissions: appstream:DescribeFleets (no resource-level permissions), and
 * appstream:TagResource/UntagResource on fleet/* with aws:TagKeys limited to TAG.override (both
 * actions support aws:TagKeys, Service Authorization Reference, Amazon AppStream 2.0). A resource
 * tag condition on the schedule tag would refuse the fleets a schedule file selects by name.
 */
export class AppStreamOverrides implements Overrides {
  constructor(private readonly appstream: AppStreamClient) {}

  private async arn(fleet: string): Promise<string | undefined> {
    const found = await aws('DescribeFleets', () =>
      this.appstream.send(new DescribeFleetsCommand({ Names: [fleet] })),
    ).catch((err: Error) => {
      if (err.name === 'ResourceNotFoundException') return { Fleets: [] };
      throw err;
    });
    return found.Fleets?.[0]?.Arn;
  }

  async set(
    fleet: string,
    override: { capacity: number; until: number },
  ): Promise<OverrideResult | undefined> {
    const arn = await this.arn(fleet);
    if (!arn) return undefined;
    const value = formatOverride(override);
    await aws('TagResource', () =>
      this.appstream.send(new TagResourceCommand({ ResourceArn: arn, Tags: { [TAG.override]: value } })),
    );
    return { fleet, arn, tag: { key: TAG.override, value } };
  }

  async clear(fleet: string): Promise<OverrideResult | undefined> {
    const arn = await this.arn(fleet);
    if (!arn) return undefined;
    await aws('UntagResource', () =>
      this.appstream.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: [TAG.override] })),
    );
    return { fleet, arn, cleared: true };
  }
}
