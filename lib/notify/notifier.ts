export interface Notification {
  topicArn?: string;
  subject: string;
  message: Record<string, unknown>;
}

/** Where pipeline outcomes go: SNS on AWS, memory and the console locally. */
export interface Notifier {
  publish(n: Notification): Promise<void>;
}
