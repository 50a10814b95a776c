import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { keyUseThroughServicesStatement, PlatformKey } from '../compliance/platform-key';
import { isIntBetween, validationFailure } from '../core/validation';

/** Properties of a `ServiceRepository`. */
export interface ServiceRepositoryProps {
  /**
   * Key encrypting the images at rest. The repository lets principals of the account use it
   * through ECR only; an imported key needs that statement where it is defined.
   * @default - a new rotating PlatformKey, usable through ECR only
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How many tagged images to keep (older ones expire, so rollbacks reach this far back).
   * @default 200
   */
  readonly keepImages?: number;
  /**
   * What happens to the repository and its images when it leaves the stack.
   * @default RemovalPolicy.RETAIN - images are release artifacts
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The ECR repository of one service: tags are immutable (a tag names one build forever), every
 * push is scanned, images are encrypted with a customer key, untagged layers expire after a day
 * and only the newest `keepImages` images are kept.
 */
export class ServiceRepository extends Construct {
  /** The ECR repository. */
  readonly repository: ecr.Repository;
  /** Key encrypting the images at rest. */
  readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: ServiceRepositoryProps = {}) {
    super(scope, id);
    const keepImages = props.keepImages ?? 200;
    if (!isIntBetween(keepImages, 10, 10_000)) {
      validationFailure('ServiceRepository', this.node.path)(`keepImages ${keepImages} must be between 10 and 10000: rollbacks need older images.`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.encryptionKey = props.encryptionKey ?? new PlatformKey(this, 'Key', { description: `Encrypts the images of ${this.node.path}`, removalPolicy });
    // Usable only through ECR, which encrypts the layers with it (a no-op on an imported key,
    // whose policy must say the same where it is defined).
    this.encryptionKey.addToResourcePolicy(keyUseThroughServicesStatement(Stack.of(this), ['ecr']));
    this.repository = new ecr.Repository(this, 'Resource', {
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      imageScanOnPush: true,
      encryption: ecr.RepositoryEncryption.KMS,
      encryptionKey: this.encryptionKey,
      removalPolicy,
      emptyOnDelete: false,
      lifecycleRules: [
        { rulePriority: 1, description: 'Untagged layers of interrupted pushes', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(1) },
        { rulePriority: 2, description: `Keep the newest ${keepImages} images`, tagStatus: ecr.TagStatus.ANY, maxImageCount: keepImages },
      ],
    });
  }
}
