import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { keyUseThroughServicesStatement } from '@zero-trust/platform-constructs';

/** An environment that pulls images from the pipeline's repository. */
export interface ImagePuller {
  /** Account of the environment. */
  readonly account: string;
  /** Name of the environment's EKS node role (e.g. `ztp-prod-cluster-nodes`): its nodes pull. */
  readonly nodeRoleName: string;
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
 * digest: the repository policy lets only the EKS node role of each environment (named by its
 * exact ARN, `aws:PrincipalArn`) pull, never push; no other role of those accounts.
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
    // ECR creates, with the creator's rights and through ECR only, the grant it encrypts the layers with.
    props.encryptionKey.addToResourcePolicy(keyUseThroughServicesStatement(Stack.of(this), ['ecr']));
    const partition = Stack.of(this).partition;
    for (const [index, puller] of props.pullers.entries()) {
      this.repository.addToResourcePolicy(new iam.PolicyStatement({
        sid: `PullByNodeRoles${index}`,
        // The account as principal and the role's ARN as condition: a policy naming the role as
        // principal would fail to deploy before the environment has created it.
        principals: [new iam.AccountPrincipal(puller.account)],
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        conditions: { ArnEquals: { 'aws:PrincipalArn': `arn:${partition}:iam::${puller.account}:role/${puller.nodeRoleName}` } },
      }));
    }
  }
}
