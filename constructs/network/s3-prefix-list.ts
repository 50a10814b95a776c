import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { encryptedLogGroup, lambdaLogGroupName } from '../compliance/encrypted-log-group';

/** Properties of an `S3PrefixList`. */
export interface S3PrefixListProps {
  /** Key encrypting the log group of the function that reads the prefix list. */
  readonly logEncryptionKey: kms.IKey;
  /**
   * How long that function's logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The response field holding the prefix list id (the only one the function returns). */
const PREFIX_LIST_ID = 'PrefixLists.0.PrefixListId';

/**
 * The AWS-managed prefix list of Amazon S3 in the stack's region (`com.amazonaws.<region>.s3`):
 * the addresses an S3 gateway endpoint routes, so a security group can send HTTPS to S3 without
 * an egress rule to 0.0.0.0/0 (`ec2.Peer.prefixList(prefixList.prefixListId)`).
 *
 * CloudFormation returns no prefix list id for a gateway endpoint, and `ec2.PrefixList.fromLookup`
 * is a synth-time lookup (not hermetic), so the id is read at deploy time: an `AwsCustomResource`
 * calls `ec2:DescribeManagedPrefixLists` filtered on the list's name (AWS-managed names start with
 * `com.amazonaws.`, which no account can give its own list). Its function runs outside the VPC
 * (the answer to CloudFormation goes to S3, which is what it looks up), under a role that may only
 * make that read-only call and write its own KMS-encrypted log group.
 */
export class S3PrefixList extends Construct {
  /** The prefix list, for `ec2.Peer.prefixList` and route or security-group rules. */
  readonly prefixList: ec2.IPrefixList;
  /** Its id (`pl-...`), known at deploy time. */
  readonly prefixListId: string;
  /** The AWS-managed name it is looked up by, `com.amazonaws.<region>.s3`. */
  readonly prefixListName: string;
  /** Log group of the function that reads it. */
  readonly logGroup: logs.ILogGroup;
  /** Role of that function: `ec2:DescribeManagedPrefixLists` and its own log group only. */
  readonly role: iam.IRole;

  constructor(scope: Construct, id: string, props: S3PrefixListProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.prefixListName = `com.amazonaws.${stack.region}.s3`;
    // Named, so the key admits CloudWatch Logs for this log group only.
    this.logGroup = encryptedLogGroup(this, 'Logs', {
      logGroupName: lambdaLogGroupName(this),
      encryptionKey: props.logEncryptionKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'Read the AWS-managed S3 prefix list id; write own logs',
      statements: [
        // Describe* actions of EC2 support no resource-level permissions.
        new iam.PolicyStatement({ sid: 'DescribeManagedPrefixLists', actions: ['ec2:DescribeManagedPrefixLists'], resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
      ],
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Reads the id of the AWS-managed prefix list ${this.prefixListName}`,
      managedPolicies: [policy],
    });
    this.role = role;

    const lookup = new cr.AwsCustomResource(this, 'Lookup', {
      resourceType: 'Custom::S3PrefixList',
      onUpdate: {
        service: 'EC2',
        action: 'DescribeManagedPrefixLists',
        parameters: { Filters: [{ Name: 'prefix-list-name', Values: [this.prefixListName] }] },
        physicalResourceId: cr.PhysicalResourceId.fromResponse(PREFIX_LIST_ID),
        outputPaths: [PREFIX_LIST_ID],
      },
      // The role above, with its customer managed policy: no inline policy, no AWS managed policy.
      role,
      // The SDK in the Lambda runtime: installing the newest one would need the internet at deploy time.
      installLatestAwsSdk: false,
      logGroup: this.logGroup,
      timeout: Duration.minutes(1),
    });
    // The function is a singleton of the stack: when another AwsCustomResource made it first, it
    // runs under that one's role, which then needs this policy too.
    const runsAs = lookup.grantPrincipal;
    if (runsAs !== role && runsAs instanceof iam.Role) runsAs.addManagedPolicy(policy);
    // CloudFormation invokes it once per lookup, asynchronously; throttled events are retried.
    const fn = singletonFunctionOf(stack);
    if (fn) (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 1;

    this.prefixListId = lookup.getResponseField(PREFIX_LIST_ID);
    this.prefixList = ec2.PrefixList.fromPrefixListId(this, 'Resource', this.prefixListId);
  }
}

/** The function aws-cdk-lib's AwsCustomResource runs as, one per stack. */
export function singletonFunctionOf(stack: Stack): lambda.Function | undefined {
  const fn = stack.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  return fn instanceof lambda.Function ? fn : undefined;
}
