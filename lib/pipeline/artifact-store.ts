import { ArnFormat, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PlatformKey } from '@zero-trust/platform-constructs';

export interface PipelineArtifactStoreProps {
  /** Days to keep CodeBuild logs (a CloudWatch Logs retention value, at least 365). */
  readonly logRetention: logs.RetentionDays;
}

/**
 * Where the pipeline keeps what it produces: one customer managed key (rotated yearly) for
 * artifacts, logs and images; the artifact bucket (KMS, TLS only, versioned, no public
 * access, server access logs); the access-log bucket; and the CodeBuild log group.
 * Everything is retained: artifacts and logs are the evidence of what was deployed.
 */
export class PipelineArtifactStore extends Construct {
  readonly key: PlatformKey;
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PipelineArtifactStoreProps) {
    super(scope, id);
    this.key = new PlatformKey(this, 'Key', { description: 'Delivery pipeline: artifacts, build logs and service images' });
    // The build logs: named, so the key admits CloudWatch Logs for this log group only.
    const buildLogsName = `/aws/codebuild/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`;
    this.key.allowCloudWatchLogs([Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: buildLogsName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })]);

    // S3 server access logs can only be delivered to a bucket with SSE-S3 encryption. Delivery is
    // granted by bucket policy (no ACLs): the stack turns on serverAccessLogsUseBucketPolicy.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Access logs are audit evidence: write once, kept a year before anyone can delete them.
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(365)),
      lifecycleRules: [{ expiration: Duration.days(731), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Artifacts', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'artifacts/',
      // Old executions stay re-runnable (rollback by re-running one) for a year.
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.logGroup = new logs.LogGroup(this, 'BuildLogs', {
      logGroupName: buildLogsName,
      encryptionKey: this.key,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
