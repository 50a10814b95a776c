import { DefaultStackSynthesizer, Fn, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { describeValue } from '../core/validation';

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
  /**
   * Roles that administer the key (its policy, rotation, description, tags, aliases, enabling
   * and deletion), besides the role CloudFormation deploys the stack with. They get no
   * cryptographic use of the key. To add the same roles to every key of an app or stage, use
   * `KeyAdministrators` instead. Roles must be of the key's account.
   * @default - none: the stack's CloudFormation execution role administers the key (and the
   *   account root user may read and replace its policy, to recover it)
   */
  readonly administrators?: iam.IRole[];
}

/**
 * What a key administrator may do: manage the key, its policy, rotation, description, tags and
 * aliases, list and revoke its grants, disable it and schedule its deletion. No cryptographic
 * operation and no `kms:CreateGrant`: administering a key is not using it.
 */
const KEY_ADMINISTRATION_ACTIONS = [
  'kms:CancelKeyDeletion', 'kms:CreateAlias', 'kms:DeleteAlias', 'kms:DescribeKey', 'kms:DisableKey', 'kms:DisableKeyRotation',
  'kms:EnableKey', 'kms:EnableKeyRotation', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListGrants', 'kms:ListKeyPolicies',
  'kms:ListKeyRotations', 'kms:ListResourceTags', 'kms:PutKeyPolicy', 'kms:RevokeGrant', 'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion', 'kms:TagResource', 'kms:UntagResource', 'kms:UpdateAlias', 'kms:UpdateKeyDescription',
];

/**
 * What an AWS service may do with a key on behalf of a principal that uses it through that
 * service: encrypt and decrypt its data keys and create grants for the resources it builds
 * (the `DenyGrantsExceptForAwsResources` guardrail refuses every other grant).
 */
const SERVICE_USE_ACTIONS = [
  'kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ListGrants', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:RetireGrant',
];

const SERVICE_NAME = /^[a-z][a-z0-9-]{1,62}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]+$/;

/**
 * A customer managed KMS key with the platform's baseline: automatic yearly rotation, and a key
 * policy that separates administration from use and delegates nothing to IAM.
 *
 * - **Administration** (`KeyAdministration`): the key-management actions, no cryptographic use,
 *   for the stack's CloudFormation execution role (what changes the key through the template)
 *   and the `administrators`. They are named by `aws:PrincipalArn` under the account principal,
 *   so a role that is deleted and created again under the same ARN is an administrator again.
 * - **Recovery** (`KeyPolicyRecoveryByAccountRootUser`): the account root user, which cannot be
 *   deleted, may read and replace the key policy, so the key can never become unmanageable; no
 *   other IAM principal gets anything from the account principal (no `kms:*` for the account).
 * - **Use**: nothing by default. The construct that owns the key names its users: AWS services
 *   acting for principals of this account (`allowUseThroughServices`, bound by
 *   `kms:ViaService`), CloudWatch Logs for named log groups (`allowCloudWatchLogs`), or the
 *   grantees of `grant*` methods, which are named in the key policy.
 * - **Guardrail** (`DenyGrantsExceptForAwsResources`): `kms:CreateGrant` is refused unless the
 *   grant is for an AWS resource or the caller is an AWS service (Control Tower CT.KMS.PR.3), so
 *   no principal can hand out long-lived access to the key by grant.
 */
export class PlatformKey extends kms.Key {
  private readonly administratorArns: string[] = [];

  constructor(scope: Construct, id: string, props: PlatformKeyProps) {
    // An explicit (empty) policy: aws-cdk-lib then adds no `kms:*` statement for the account.
    super(scope, id, {
      description: props.description,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      policy: new iam.PolicyDocument(),
    });
    const stack = Stack.of(this);
    const deploymentRoleArn = cloudFormationExecutionRoleArn(stack);
    if (deploymentRoleArn !== undefined) this.administratorArns.push(deploymentRoleArn);
    this.addAdministrators(...(props.administrators ?? []));

    const account = new iam.AccountRootPrincipal();
    this.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'KeyAdministration',
      principals: [account],
      actions: KEY_ADMINISTRATION_ACTIONS,
      resources: ['*'],
      conditions: { ArnEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => this.administratorArns }) } },
    }));
    this.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'KeyPolicyRecoveryByAccountRootUser',
      principals: [account],
      actions: ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:PutKeyPolicy'],
      resources: ['*'],
      conditions: { ArnEquals: { 'aws:PrincipalArn': `arn:${stack.partition}:iam::${stack.account}:root` } },
    }));
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
    this.node.addValidation({ validate: () => this.validateAdministrators(stack) });
  }

  /**
   * Grants on this key name their grantee in the key policy as well as in its IAM policy: the
   * key policy delegates nothing to IAM, so an IAM statement alone would not be enough. (A
   * grantee in a stack that depends on this key's stack is named by its account, as aws-cdk-lib
   * does to avoid a dependency cycle.)
   */
  override get grants(): kms.KeyGrants {
    return kms.KeyGrants.fromKey(this, false);
  }

  /**
   * Adds key administrators: roles that may manage the key (policy, rotation, description, tags,
   * aliases, enabling, deletion) but not use it. Roles must be of the key's account.
   *
   * @param roles the administrator roles
   */
  addAdministrators(...roles: iam.IRole[]): void {
    for (const role of roles) {
      if (!this.administratorArns.includes(role.roleArn)) this.administratorArns.push(role.roleArn);
    }
  }

  /**
   * Lets principals of this account use the key only through the given AWS services
   * (`kms:ViaService`, `kms:CallerAccount`): those services encrypt and decrypt with it and
   * create grants for the resources they build with it. Which principals may call the services
   * is still decided by their IAM policies.
   *
   * @param services the services' endpoint prefixes, e.g. `rds`, `secretsmanager`, `elasticache`
   */
  allowUseThroughServices(...services: string[]): void {
    this.addToResourcePolicy(keyUseThroughServicesStatement(this.stack, services));
  }

  /**
   * Lets CloudWatch Logs in this key's region encrypt log groups of this account with it,
   * bound by the encryption context to log groups only: only `logGroupArns`, or (when omitted)
   * every log group of the account.
   *
   * @param logGroupArns the log groups (`arn:<partition>:logs:<region>:<account>:log-group:<name>`,
   *   without the `:*` of `LogGroup.logGroupArn`) the key may encrypt; omit for every log group
   */
  allowCloudWatchLogs(logGroupArns?: readonly string[]): void {
    this.addToResourcePolicy(cloudWatchLogsKeyStatement(this.stack, logGroupArns));
  }

  private validateAdministrators(stack: Stack): string[] {
    const path = this.node.path;
    if (this.administratorArns.length === 0) {
      return [
        `PlatformKey ${path}: the key has no administrator: the stack's synthesizer (${stack.synthesizer.constructor.name}) names no CloudFormation execution role, ` +
        'and without one that may change the key policy CloudFormation could not create or update the key. ' +
        'Fix: pass administrators (e.g. the role you deploy with), add KeyAdministrators to the app, or deploy with the DefaultStackSynthesizer.',
      ];
    }
    const errors: string[] = [];
    for (const arn of this.administratorArns) {
      if (Token.isUnresolved(arn)) continue;
      const match = ROLE_ARN.exec(arn);
      if (!match) {
        errors.push(`PlatformKey ${path}: administrators has ${describeValue(arn)}, which is not an IAM role ARN. Fix: use arn:<partition>:iam::<account>:role/<path/name>.`);
      } else if (!Token.isUnresolved(stack.account) && match[1] !== stack.account) {
        errors.push(
          `PlatformKey ${path}: administrators has ${describeValue(arn)}, a role of account ${match[1]}, but the key is in account ${stack.account}, whose key policy names only its own principals. ` +
          `Fix: use a role of account ${stack.account}.`,
        );
      }
    }
    return errors;
  }
}

/**
 * The ARN of the role CloudFormation deploys the stack with, when the stack's synthesizer names
 * one (the DefaultStackSynthesizer's bootstrap role `cdk-<qualifier>-cfn-exec-role-...`); its
 * placeholders become an `Fn::Sub`.
 */
function cloudFormationExecutionRoleArn(stack: Stack): string | undefined {
  const synthesizer = stack.synthesizer;
  if (!(synthesizer instanceof DefaultStackSynthesizer)) return undefined;
  let arn: string;
  try {
    arn = synthesizer.cloudFormationExecutionRoleArn;
  } catch {
    return undefined;
  }
  return arn.includes('${') ? Fn.sub(arn) : arn;
}

/**
 * The key-policy statement that lets principals of `stack`'s account use a key only through the
 * given AWS services of `stack`'s region (`kms:ViaService` = `<service>.<region>.<url suffix>`,
 * `kms:CallerAccount`): encrypt, decrypt and create grants for the resources those services build.
 * Add it to any customer managed key (`key.addToResourcePolicy`); `PlatformKey.allowUseThroughServices` does.
 *
 * @param stack the stack whose account and region the services are in
 * @param services the services' endpoint prefixes, e.g. `rds`, `secretsmanager`
 */
export function keyUseThroughServicesStatement(stack: Stack, services: readonly string[]): iam.PolicyStatement {
  if (services.length === 0) {
    throw new Error('keyUseThroughServicesStatement: services is empty. Fix: name the AWS services that use the key, e.g. "rds".');
  }
  for (const service of services) {
    if (!SERVICE_NAME.test(service)) {
      throw new Error(`keyUseThroughServicesStatement: services has ${describeValue(service)}, which is not an AWS service endpoint prefix. Fix: use the prefix of the service's endpoint, e.g. "rds" or "secretsmanager".`);
    }
  }
  const unique = [...new Set(services)];
  return new iam.PolicyStatement({
    sid: `UseThrough${unique.map((s) => s.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('')).join('And')}`,
    principals: [new iam.AccountRootPrincipal()],
    actions: SERVICE_USE_ACTIONS,
    resources: ['*'],
    conditions: {
      StringEquals: {
        'kms:ViaService': unique.map((service) => `${service}.${stack.region}.${stack.urlSuffix}`),
        'kms:CallerAccount': stack.account,
      },
    },
  });
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
