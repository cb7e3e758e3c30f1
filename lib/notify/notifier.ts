export interface Notification {
  topicArn?: string;
  subject: string;
  message: Record<string, unknown>;
}

/** Where pipeline outcomes go: SNS on AWS, memory and the console locally. */
export interface Notifier {
  publish(n: Notification): Promise<void>;
  /**
   * Pre-flight: a problem that would stop publishing to the topic (missing, not allowed), or
   * undefined when it looks fine. Notifiers that can't check leave it out.
   */
  check?(topicArn: string): Promise<string | undefined>;
}

/** The region of an SNS topic ARN (`arn:aws:sns:<region>:<account>:<name>`). */
export function topicRegion(topicArn: string): string {
  const region = topicArn.split(':')[3];
  if (!region) throw new Error(`not an SNS topic ARN: ${topicArn}`);
  return region;
}
