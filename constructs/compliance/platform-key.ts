import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/** Properties of a `PlatformKey`. */
export interface PlatformKeyProps {
  /** What the key protects, shown in the KMS console. */
  readonly description: string;
  /**
   * What happens to the key when it leaves the stack. Deleting a key makes everything it
   * encrypted unreadable, so keys are kept unless the caller says otherwise.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A customer managed KMS key with the platform's baseline: automatic yearly rotation, and a
 * key-policy guardrail that refuses `kms:CreateGrant` unless the grant is for an AWS resource
 * or the caller is an AWS service (Control Tower CT.KMS.PR.3), so no principal can hand out
 * long-lived access to the key by grant.
 */
export class PlatformKey extends kms.Key {
  constructor(scope: Construct, id: string, props: PlatformKeyProps) {
    super(scope, id, {
      description: props.description,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'DenyGrantsExceptForAwsResources',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: {
        BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
      },
    }));
  }

  /**
   * Lets CloudWatch Logs in this key's region encrypt log groups of this account with it,
   * bound by the encryption context to log groups only: every log group of the account, or
   * only `logGroupArns`.
   *
   * @param logGroupArns the log groups (`arn:<partition>:logs:<region>:<account>:log-group:<name>`,
   *   without the `:*` of `LogGroup.logGroupArn`) the key may encrypt; omit for every log group
   */
  allowCloudWatchLogs(logGroupArns?: readonly string[]): void {
    this.addToResourcePolicy(cloudWatchLogsKeyStatement(this.stack, logGroupArns));
  }
}

/**
 * The key-policy statement that lets CloudWatch Logs (the service in `stack`'s region) use a key
 * for log groups of `stack`'s account, bound by the encryption context CloudWatch Logs sends
 * (`kms:EncryptionContext:aws:logs:arn`): to every log group of the account, or, with
 * `logGroupArns`, to exactly those log groups (`ArnEquals`). Add it to any customer managed key
 * (`key.addToResourcePolicy`); `PlatformKey.allowCloudWatchLogs` does.
 *
 * @param stack the stack whose account and region the log groups are in
 * @param logGroupArns the log groups' ARNs (`arn:<partition>:logs:<region>:<account>:log-group:<name>`,
 *   no trailing `:*`); omit for every log group of the account
 */
export function cloudWatchLogsKeyStatement(stack: Stack, logGroupArns?: readonly string[]): iam.PolicyStatement {
  const bound = logGroupArns !== undefined;
  if (bound && logGroupArns.length === 0) {
    throw new Error('cloudWatchLogsKeyStatement: logGroupArns is empty. Fix: list the log groups the key encrypts, or omit it for every log group of the account.');
  }
  return new iam.PolicyStatement({
    // Without a Sid when bound: several constructs may bind the same key to their own log groups.
    ...(bound ? {} : { sid: 'AllowCloudWatchLogsForThisAccount' }),
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: bound
      ? { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': [...logGroupArns] } }
      : { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` } },
  });
}
