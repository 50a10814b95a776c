import { Annotations, ArnFormat, Names, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct, IConstruct } from 'constructs';
import { cloudWatchLogsKeyStatement } from './platform-key';

/** How `encryptedLogGroup` makes a log group. */
export interface EncryptedLogGroupOptions {
  /** The log group's name: known at synth, so the key policy can name the group without a cycle. */
  readonly logGroupName: string;
  /** The customer managed key that encrypts it. */
  readonly encryptionKey: kms.IKey;
  /** How long its events are kept. */
  readonly retention: logs.RetentionDays;
  /** What happens to it when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A log group with a name fixed at synth, encrypted with a customer managed key whose key policy
 * lets CloudWatch Logs use the key for this log group only (`kms:EncryptionContext:aws:logs:arn`
 * equal to its ARN). An imported key's policy cannot be changed here: a warning then says what to
 * add where the key is defined (otherwise CloudWatch Logs refuses to create the group).
 */
export function encryptedLogGroup(scope: Construct, id: string, options: EncryptedLogGroupOptions): logs.LogGroup {
  const stack = Stack.of(scope);
  const bound = options.encryptionKey.addToResourcePolicy(cloudWatchLogsKeyStatement(stack, [logGroupArnOf(stack, options.logGroupName)]));
  if (!bound.statementAdded) {
    Annotations.of(scope).addWarningV2('@zero-trust/platform-constructs:logGroupKeyPolicy',
      `The key of log group ${options.logGroupName} is imported: its key policy cannot be changed here. Let CloudWatch Logs use it for this log group `
      + '(cloudWatchLogsKeyStatement) where the key is defined, or the log group fails to create.');
  }
  return new logs.LogGroup(scope, id, {
    logGroupName: options.logGroupName,
    encryptionKey: options.encryptionKey,
    retention: options.retention,
    removalPolicy: options.removalPolicy,
  });
}

/** The ARN of the log group `name` in `stack`'s account and region, as the KMS encryption context names it (no `:*`). */
export function logGroupArnOf(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/**
 * The name of the log group of a Lambda function the library makes (or that aws-cdk-lib makes for
 * it): `/aws/lambda/<unique name of the function construct>`, fixed at synth unlike the
 * function's own name.
 */
export function lambdaLogGroupName(fn: IConstruct): string {
  return `/aws/lambda/${Names.uniqueResourceName(fn, { maxLength: 200, separator: '-' })}`;
}
