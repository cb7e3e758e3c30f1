import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { aws } from '../appstream/call';
import type { Notification, Notifier } from './notifier';

/** Publishes to the notification's SNS topic; without a topic there is nobody to tell. */
export class SnsNotifier implements Notifier {
  constructor(private readonly sns: SNSClient) {}

  async publish(n: Notification): Promise<void> {
    if (!n.topicArn) return;
    await aws('sns:Publish', () =>
      this.sns.send(
        new PublishCommand({
          TopicArn: n.topicArn,
          Subject: n.subject.slice(0, 100),
          Message: JSON.stringify(n.message, null, 2),
        }),
      ),
    );
  }
}

/** Keeps notifications in memory (local runs, tests) and optionally echoes them. */
export class MemoryNotifier implements Notifier {
  readonly sent: Notification[] = [];

  constructor(private readonly echo?: (n: Notification) => void) {}

  async publish(n: Notification): Promise<void> {
    this.sent.push(n);
    this.echo?.(n);
  }
}
