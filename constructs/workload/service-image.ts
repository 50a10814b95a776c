import { Token } from 'aws-cdk-lib';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import { describeValue } from '../core/validation';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
// Docker tag grammar; mutable, moving names are refused below.
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MOVING_TAGS = new Set(['latest', 'stable', 'main', 'master', 'dev', 'prod', 'production', 'staging']);

/** True for an image digest, `sha256:` and 64 lowercase hex characters. */
export function isImageDigest(value: string): boolean {
  return DIGEST.test(value);
}

/** True for a valid image tag that does not name a moving target such as `latest`. */
export function isImmutableImageTag(value: string): boolean {
  return TAG.test(value) && !MOVING_TAGS.has(value.toLowerCase());
}

/**
 * A container image referenced immutably: an ECR repository plus a digest (preferred, what the
 * pipeline hands over) or an immutable tag (the repository must have tag immutability on).
 * Moving tags such as `latest` are refused, so what was reviewed is what runs.
 */
export class ServiceImage {
  /** The image at `digest` (`sha256:<64 hex>`) in `repository`. */
  static fromEcrDigest(repository: ecr.IRepository, digest: string): ServiceImage {
    if (!Token.isUnresolved(digest) && !isImageDigest(digest)) {
      throw new Error(`ServiceImage: digest ${describeValue(digest)} is not an image digest. Fix: pass "sha256:" followed by 64 lowercase hex characters (what \`docker push\` or ECR reports).`);
    }
    return new ServiceImage(repository, `@${digest}`, digest);
  }

  /** The image tagged `tag` in `repository` (which must have immutable tags). */
  static fromEcrTag(repository: ecr.IRepository, tag: string): ServiceImage {
    if (!Token.isUnresolved(tag)) {
      if (!TAG.test(tag)) {
        throw new Error(`ServiceImage: tag ${describeValue(tag)} is not a valid image tag. Fix: use letters, digits, "_", "." and "-" (at most 128, not starting with "." or "-"), e.g. the commit id.`);
      }
      if (MOVING_TAGS.has(tag.toLowerCase())) {
        throw new Error(`ServiceImage: tag ${describeValue(tag)} names a moving target, not a build. Fix: deploy by digest, or by an immutable tag such as the commit id.`);
      }
    }
    return new ServiceImage(repository, `:${tag}`, tag);
  }

  /** Full image reference for a pod spec, e.g. `<acct>.dkr.ecr.<region>.amazonaws.com/sample@sha256:...`. */
  readonly imageUri: string;

  private constructor(
    /** The repository the image lives in. */
    readonly repository: ecr.IRepository,
    suffix: string,
    /** The digest or tag, as given; used as the version label of the pods. */
    readonly version: string,
  ) {
    this.imageUri = `${repository.repositoryUri}${suffix}`;
  }
}
