/**
 * Chart versions, pinned in code so a synth never resolves "latest" (bump them through a
 * reviewed change; the tests refuse ranges). Before moving, check the release's supported
 * Kubernetes versions (https://istio.io/latest/docs/releases/supported-releases/) and read its
 * upgrade notes; for the controller, diff its upstream IAM policy against
 * `load-balancer-controller-policy.ts`.
 */

import type { ImageReference } from '../registry/upstream-registries';

/** Istio release of the `base`, `cni`, `istiod` and `gateway` charts (supports Kubernetes 1.36). */
export const ISTIO_VERSION = '1.31.0';

/**
 * Where Istio publishes its images (the charts' default `global.hub`): `pilot` (istiod), `proxyv2`
 * (sidecars and gateways) and `install-cni`, each tagged with the release. No digest is pinned:
 * the charts name none, and the digests could not be read offline (docs/adr/0021).
 */
export const ISTIO_IMAGE_HUB = 'docker.io/istio';

/**
 * Istio's Helm repository. Istio stopped publishing charts to istio-release.storage.googleapis.com
 * with 1.31 (and removes that location in December 2026); every release is served from here.
 */
export const ISTIO_CHART_REPOSITORY = 'https://blob.istio.io/istio-release/charts';

/**
 * `aws-load-balancer-controller` chart version (controller v3.5.0, the maintained 3.x line; chart
 * 1.17.1 / v2.17.1 was the last v2). Why and what changed: docs/adr/0009-load-balancer-controller-v3.md.
 * Its IAM policy is upstream v3.5.0's (`load-balancer-controller-policy.ts`, compared in tests).
 */
export const AWS_LOAD_BALANCER_CONTROLLER_CHART_VERSION = '3.5.0';

/** Official AWS EKS charts repository. */
export const EKS_CHARTS_REPOSITORY = 'https://aws.github.io/eks-charts';

/**
 * The controller image the pinned chart runs (its default `image`). Tag only: the chart pins no
 * digest, and the digest could not be read offline (docs/adr/0021).
 */
export const AWS_LOAD_BALANCER_CONTROLLER_IMAGE: ImageReference = { repository: 'public.ecr.aws/eks/aws-load-balancer-controller', tag: 'v3.5.0' };
