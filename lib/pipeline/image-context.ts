import type { Node } from 'constructs';
import { isImageDigest, isImmutableImageTag } from '@zero-trust/platform-constructs';

/**
 * The hand-off of service images from the pipeline's image step to the deployed stages.
 *
 * The image step writes `images.json` (`{ "<service>": { repository, tag, digest } }`); the
 * synth step passes it as context: `cdk synth -c images='{"sample":{...}}'`. Workloads read it
 * with `serviceImageFromContext(node, 'sample')` and deploy `<repository>@<digest>`, so every
 * template the pipeline deploys pins the exact bytes that were tested and scanned, and staging
 * and prod run the same image. Without the context (local synth) it returns `undefined`.
 */
export const IMAGES_CONTEXT_KEY = 'images';

/** One service image as built, pushed and scanned by the pipeline. */
export interface ServiceImage {
  /** ECR repository URI, `<account>.dkr.ecr.<region>.amazonaws.com/<name>`. */
  readonly repository: string;
  /** Immutable tag: the commit id the image was built from. */
  readonly tag: string;
  /** Content digest, `sha256:<64 hex>`: what workloads deploy. */
  readonly digest: string;
}

const REPOSITORY_URI = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9][a-z0-9._\/-]*$/;

/** Reads and checks the image of one service from the `images` context, if present. */
export function serviceImageFromContext(node: Node, service: string): ServiceImage | undefined {
  let images = node.tryGetContext(IMAGES_CONTEXT_KEY);
  if (images === undefined || images === null || images === '') return undefined;
  if (typeof images === 'string') {
    try {
      images = JSON.parse(images);
    } catch {
      throw new Error(`context "${IMAGES_CONTEXT_KEY}" is ${JSON.stringify(images)}: must be JSON. Fix: pass the image step's images.json, -c ${IMAGES_CONTEXT_KEY}="$(cat images.json)".`);
    }
  }
  const image = (images as Record<string, Partial<ServiceImage>>)[service];
  if (image === undefined) return undefined;
  const problems: string[] = [];
  if (typeof image.repository !== 'string' || !REPOSITORY_URI.test(image.repository)) problems.push(`repository ${JSON.stringify(image.repository)} is not an ECR repository URI`);
  if (typeof image.tag !== 'string' || !isImmutableImageTag(image.tag)) problems.push(`tag ${JSON.stringify(image.tag)} is not an immutable Docker tag`);
  if (typeof image.digest !== 'string' || !isImageDigest(image.digest)) problems.push(`digest ${JSON.stringify(image.digest)} is not sha256:<64 hex>`);
  if (problems.length > 0) {
    throw new Error(`context "${IMAGES_CONTEXT_KEY}" -> "${service}": ${problems.join('; ')}. Fix: pass the images.json written by the pipeline's image step unchanged.`);
  }
  return image as ServiceImage;
}

/** `<repository>@<digest>`: the reference a workload deploys. */
export function imageReference(image: ServiceImage): string {
  return `${image.repository}@${image.digest}`;
}

/** The repository ARN and name behind an ECR repository URI (validated by serviceImageFromContext). */
export function repositoryOfUri(uri: string): { repositoryArn: string; repositoryName: string } {
  const [host, ...path] = uri.split('/');
  const [account, , , region, , suffix] = host.split('.');
  const partition = suffix === 'cn' ? 'aws-cn' : 'aws';
  const repositoryName = path.join('/');
  return { repositoryArn: `arn:${partition}:ecr:${region}:${account}:repository/${repositoryName}`, repositoryName };
}
