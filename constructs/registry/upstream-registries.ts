/**
 * The public registries Amazon ECR can cache through pull through cache rules, and how an image's
 * public name maps to one of them. The names are ECR's own `UpstreamRegistry` values.
 */

/** An upstream registry ECR pull through cache supports (ECR's `UpstreamRegistry` value). */
export type UpstreamRegistryName = 'docker-hub' | 'quay' | 'ecr-public' | 'github-container-registry' | 'k8s';

/** What ECR needs to know about an upstream registry, and how images name it. */
export interface UpstreamRegistrySpec {
  /** ECR's `UpstreamRegistryUrl` for it. */
  readonly url: string;
  /** Host names images of this registry are published under (the first is the canonical one). */
  readonly hosts: readonly string[];
  /**
   * Whether ECR needs a Secrets Manager secret (`ecr-pullthroughcache/...`) with the registry's
   * credentials to cache from it.
   */
  readonly requiresCredential: boolean;
  /** The segment after the repository prefix in ECR: `<prefix>/<segment>/<upstream path>`. */
  readonly segment: string;
}

/**
 * ECR pull through cache's upstream registries (Amazon ECR User Guide, "Sync an upstream registry
 * with an Amazon ECR private registry"): ECR Public, the Kubernetes registry and Quay need no
 * credentials; Docker Hub and GitHub Container Registry need a secret.
 */
export const UPSTREAM_REGISTRIES: Readonly<Record<UpstreamRegistryName, UpstreamRegistrySpec>> = {
  'docker-hub': { url: 'registry-1.docker.io', hosts: ['docker.io', 'registry-1.docker.io', 'index.docker.io'], requiresCredential: true, segment: 'docker-hub' },
  'quay': { url: 'quay.io', hosts: ['quay.io'], requiresCredential: false, segment: 'quay' },
  'ecr-public': { url: 'public.ecr.aws', hosts: ['public.ecr.aws'], requiresCredential: false, segment: 'ecr-public' },
  'github-container-registry': { url: 'ghcr.io', hosts: ['ghcr.io'], requiresCredential: true, segment: 'ghcr' },
  'k8s': { url: 'registry.k8s.io', hosts: ['registry.k8s.io'], requiresCredential: false, segment: 'k8s' },
};

/**
 * The upstream registries the platform's own images come from, and only those: Docker Hub (Istio's
 * `pilot`, `proxyv2`, `install-cni`; the OpenTelemetry collector), Quay (Argo Rollouts) and ECR
 * Public (the AWS Load Balancer Controller, AWS for Fluent Bit).
 */
export const PLATFORM_UPSTREAM_REGISTRIES: readonly UpstreamRegistryName[] = ['docker-hub', 'quay', 'ecr-public'];

/**
 * A container image by repository, tag and optionally digest: an upstream image by its public name
 * (`docker.io/istio/pilot`, `quay.io/argoproj/argo-rollouts`, or Docker Hub's short form
 * `otel/opentelemetry-collector-contrib`), or its copy in a private registry.
 */
export interface ImageReference {
  /** The repository, with its registry host (a name without one is on Docker Hub). */
  readonly repository: string;
  /** An exact release tag, e.g. `1.31.0`. */
  readonly tag: string;
  /**
   * The digest of the image (`sha256:` and 64 hex digits): when set, the image is pulled by digest
   * and the tag is only informative.
   * @default - pulled by tag
   */
  readonly digest?: string;
}

/** `sha256:` and 64 lowercase hex digits. */
export const IMAGE_DIGEST_FORMAT = /^sha256:[0-9a-f]{64}$/;

/** `repository:tag`, or `repository:tag@digest` when pinned by digest. */
export function imageReferenceString(image: ImageReference): string {
  return `${image.repository}:${imageTagWithDigest(image)}`;
}

/**
 * `tag`, or `tag@digest` when pinned by digest: for charts that write `repository:tag` and have no
 * digest value of their own (the reference then pulls by digest).
 */
export function imageTagWithDigest(image: ImageReference): string {
  return image.digest ? `${image.tag}@${image.digest}` : image.tag;
}

/** The upstream registry of an image and its path there (Docker Hub's official images under `library/`). */
export interface UpstreamImageLocation {
  /**
   * The upstream registry ECR pull through cache knows the host as.
   * @default - none: ECR pull through cache supports no registry at that host
   */
  readonly registry?: UpstreamRegistryName;
  /** The registry host as written (`docker.io` when the name has none). */
  readonly host: string;
  /** The repository path within the registry, e.g. `istio/pilot`. */
  readonly path: string;
}

/**
 * Where an image's public name points: the first segment is a host when it has a `.` or a `:` or is
 * `localhost` (Docker's rule); otherwise the image is on Docker Hub, official images under `library/`.
 */
export function upstreamImageLocation(repository: string): UpstreamImageLocation {
  const [first, ...rest] = repository.split('/');
  const isHost = rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const host = isHost ? first : 'docker.io';
  let path = isHost ? rest.join('/') : repository;
  const registry = (Object.keys(UPSTREAM_REGISTRIES) as UpstreamRegistryName[]).find((name) => UPSTREAM_REGISTRIES[name].hosts.includes(host));
  if (registry === 'docker-hub' && !path.includes('/')) path = `library/${path}`;
  return { registry, host, path };
}
