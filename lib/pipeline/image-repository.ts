import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** An environment that pulls images from the pipeline's repository. */
export interface ImagePuller {
  /** Account of the environment. */
  readonly account: string;
  /** IAM role name prefix of the environment's EKS node roles (e.g. `ztp-prod-cluster-`). */
  readonly nodeRolePrefix: string;
}

export interface ServiceImageRepositoryProps {
  readonly encryptionKey: kms.IKey;
  /** Environments (in other accounts or this one) whose nodes pull by digest. */
  readonly pullers: readonly ImagePuller[];
  /**
   * How many images to keep. Deployed images are recent commits; keep enough that a rollback
   * to any release of the last months still finds its image.
   * @default 500
   */
  readonly maxImageCount?: number;
}

/**
 * The pipeline-owned ECR repository of one service: immutable tags (the commit id), scan on
 * push, KMS encryption with the pipeline key, retained. Environments pull cross-account by
 * digest: the repository policy lets only the EKS node roles of each environment account
 * (matched by role-name prefix) pull, never push.
 */
export class ServiceImageRepository extends Construct {
  readonly repository: ecr.Repository;

  constructor(scope: Construct, id: string, props: ServiceImageRepositoryProps) {
    super(scope, id);
    this.repository = new ecr.Repository(this, 'Resource', {
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      imageScanOnPush: true,
      encryption: ecr.RepositoryEncryption.KMS,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { rulePriority: 1, description: 'Drop untagged layers of failed pushes', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(14) },
        { rulePriority: 2, description: 'Keep the most recent images', tagStatus: ecr.TagStatus.ANY, maxImageCount: props.maxImageCount ?? 500 },
      ],
    });
    const partition = Stack.of(this).partition;
    for (const [index, puller] of props.pullers.entries()) {
      this.repository.addToResourcePolicy(new iam.PolicyStatement({
        sid: `PullByNodeRoles${index}`,
        principals: [new iam.AccountPrincipal(puller.account)],
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        conditions: { ArnLike: { 'aws:PrincipalArn': `arn:${partition}:iam::${puller.account}:role/${puller.nodeRolePrefix}*` } },
      }));
    }
  }
}
