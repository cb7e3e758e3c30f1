import { GetTopicAttributesCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { aws } from '../aws/call';
import { type Notification, type Notifier, topicRegion } from './notifier';

/**
 * Publishes to the notification's SNS topic; without a topic there is nobody to tell. SNS is
 * regional: a topic is only reachable through its own region's endpoint (Publish's TopicArn in
 * another region fails), so the client is the topic ARN's region's, not the function's.
 */
export class SnsNotifier implements Notifier {
  constructor(private readonly client: (region: string) => SNSClient) {}

  async publish(n: Notification): Promise<void> {
    if (!n.topicArn) return;
    const sns = this.client(topicRegion(n.topicArn));
    await aws('sns:Publish', () =>
      sns.send(
        new PublishCommand({
          TopicArn: n.topicArn,
          Subject: n.subject.slice(0, 100),
          Message: JSON.stringify(n.message, null, 2),
        }),
      ),
    );
  }

  /**
   * GetTopicAttributes in the topic's region (needs `sns:GetTopicAttributes` on the topic; SNS
   * answers NotFoundException for a missing topic, AuthorizationErrorException when not allowed:
   * SNS API reference, GetTopicAttributes "Errors").
   */
  async check(topicArn: string): Promise<string | undefined> {
    const region = topicRegion(topicArn);
    try {
      await aws('sns:GetTopicAttributes', () =>
        this.client(region).send(new GetTopicAttributesCommand({ TopicArn: topicArn })),
      );
      return undefined;
    } catch (err) {
      const e = err as Error;
      if (e.name === 'AwsTransientError') throw err; // throttled: Resolve is retried
      if (e.name === 'NotFoundException' || e.name === 'NotFound')
        return `topic ${topicArn} does not exist in ${region}`;
      if (e.name === 'AuthorizationErrorException' || e.name === 'AuthorizationError')
        return `not allowed to use topic ${topicArn} (sns:GetTopicAttributes denied: is sns:Publish granted on it?)`;
      return `topic ${topicArn} could not be checked: ${e.name}: ${e.message}`;
    }
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
