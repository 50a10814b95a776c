import type { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

/** One statement of a key policy as synthesized. */
export type KeyPolicyStatement = Record<string, unknown> & {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action?: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
};

/** The key-policy statements of the key `key` (a PlatformKey or any kms.Key) in `template`. */
export function keyPolicyStatements(template: Template, stack: Stack, key: IConstruct): KeyPolicyStatement[] {
  const logicalId = stack.getLogicalId(key.node.defaultChild as never);
  return template.toJSON().Resources[logicalId].Properties.KeyPolicy.Statement as KeyPolicyStatement[];
}

/** The statements that let CloudWatch Logs use the key. */
export function cloudWatchLogsStatements(statements: readonly KeyPolicyStatement[]): KeyPolicyStatement[] {
  return statements.filter((s) => JSON.stringify(s.Principal ?? '').includes('"logs.'));
}

/**
 * The log group names CloudWatch Logs may use the key for, read from the exact-ARN bindings
 * (`ArnEquals kms:EncryptionContext:aws:logs:arn`); an account-wide statement (`ArnLike ...:*`) gives `*`.
 */
export function boundLogGroupNames(statements: readonly KeyPolicyStatement[]): string[] {
  return cloudWatchLogsStatements(statements).flatMap((s) => {
    const exact = s.Condition?.ArnEquals?.['kms:EncryptionContext:aws:logs:arn'];
    if (exact === undefined) return ['*'];
    // A literal ARN or an Fn::Join whose last part holds ":log-group:<name>".
    return [exact].flat().map((arn) => /:log-group:([^"]*)/.exec(JSON.stringify(arn))![1]);
  });
}

/** The `kms:ViaService` services (`rds`, `secretsmanager`...) of the statements that let this account's callers use the key through AWS services. */
export function viaServices(statements: readonly KeyPolicyStatement[]): string[] {
  return statements.flatMap((s) => [s.Condition?.StringEquals?.['kms:ViaService'] ?? []].flat())
    .map((value) => /^(?:\{"Fn::Join":\["",\[)?"([a-z0-9-]+)\./.exec(JSON.stringify(value))![1]);
}

/** The actions of a statement, as a list. */
export function actionsOf(statement: KeyPolicyStatement): string[] {
  return [statement.Action ?? []].flat();
}
