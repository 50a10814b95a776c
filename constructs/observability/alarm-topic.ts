import { ArnFormat, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { PlatformKey } from '../compliance/platform-key';
import { describeValue, validationFailure } from '../core/validation';

/** Properties of an `AlarmTopic`. */
export interface AlarmTopicProps {
  /**
   * E-mail addresses subscribed to the topic; each recipient confirms the subscription from the
   * message SNS sends.
   * @default - no subscription (add your own to `topic`)
   */
  readonly emailAddresses?: string[];
  /**
   * Key encrypting the messages at rest. It must be a key this stack manages (its policy is given
   * the statement that lets CloudWatch alarms use it).
   * @default - a new rotating PlatformKey
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Name shown as the sender of the e-mails.
   * @default - no display name
   */
  readonly displayName?: string;
  /**
   * What happens to the key this construct creates when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** A plain e-mail address: something@domain.tld, no spaces. */
const EMAIL = /^[^@\s"]+@[^@\s"]+\.[^@\s"]+$/;

/**
 * The SNS topic an environment's CloudWatch alarms notify: encrypted with a customer managed key,
 * published to over TLS only, and only by this account's CloudWatch alarms (besides principals of
 * the account that IAM allows).
 *
 * - Key policy: `cloudwatch.amazonaws.com` may `kms:GenerateDataKey*` and `kms:Decrypt`, only for
 *   alarms of this account and region (`aws:SourceAccount`, `aws:SourceArn`): without it an alarm
 *   cannot publish to an encrypted topic and its notification is dropped.
 * - Topic policy: denies `sns:Publish` without TLS (`aws:SecureTransport`), and allows
 *   `cloudwatch.amazonaws.com` to publish for this account's alarms (a topic policy replaces the
 *   default one, so the service is named explicitly).
 * - Messages are signed with SHA-256 (signature version 2).
 */
export class AlarmTopic extends Construct {
  /** The topic: give it to `ServiceMonitoring` and `PlatformMonitoring`. */
  readonly topic: sns.Topic;
  /** The key encrypting the messages. */
  readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    const fail = validationFailure('AlarmTopic', this.node.path);
    const emails = props.emailAddresses ?? [];
    for (const email of emails) {
      if (!Token.isUnresolved(email) && !EMAIL.test(email)) fail(`emailAddresses has ${describeValue(email)}: not an e-mail address. Fix: use e.g. "oncall@example.com".`);
    }
    const duplicates = emails.filter((e, i) => emails.indexOf(e) !== i);
    if (duplicates.length > 0) fail(`emailAddresses lists ${describeValue(duplicates[0])} twice. Fix: list each address once.`);

    const stack = Stack.of(this);
    const alarmsOfThisAccount = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    };
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');

    this.encryptionKey = props.encryptionKey ?? new PlatformKey(this, 'Key', {
      description: `Encrypts the alarm notifications of ${this.node.path}`,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const keyStatement = this.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccount',
      principals: [cloudWatch],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: alarmsOfThisAccount,
    }));
    if (!keyStatement.statementAdded) {
      fail('encryptionKey is an imported key whose policy this stack cannot change: CloudWatch alarms could not use it and their notifications would be dropped. Fix: leave encryptionKey unset (a PlatformKey is made) or pass a key defined in this app.');
    }

    this.topic = new sns.Topic(this, 'Resource', {
      displayName: props.displayName,
      masterKey: this.encryptionKey,
      enforceSSL: true,
      signatureVersion: '2',
    });
    this.topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccount',
      principals: [cloudWatch],
      actions: ['sns:Publish'],
      resources: [this.topic.topicArn],
      conditions: alarmsOfThisAccount,
    }));
    for (const email of emails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
  }
}
