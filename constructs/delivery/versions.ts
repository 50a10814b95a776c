import type { ImageReference } from '../registry/upstream-registries';

/**
 * Argo Rollouts, pinned in code so a synth never resolves "latest" (bump through a reviewed
 * change; the tests refuse ranges). Before moving, read the release notes of the controller
 * (https://github.com/argoproj/argo-rollouts/releases) and the chart's changelog on ArtifactHub.
 */

/**
 * `argo-rollouts` chart version of the official Argo Helm repository (controller v1.9.0): the
 * newest release whose source could be read and rendered (2.41.1 / v1.9.1 is reported but its
 * source could not be confirmed; see docs/adr/0008-deploy-fidelity.md).
 */
export const ARGO_ROLLOUTS_CHART_VERSION = '2.41.0';

/** Controller release the pinned chart installs (its `appVersion`). */
export const ARGO_ROLLOUTS_APP_VERSION = 'v1.9.0';

/** Official Argo Helm repository. */
export const ARGO_HELM_REPOSITORY = 'https://argoproj.github.io/argo-helm';

/**
 * The controller image the pinned chart runs (`controller.image`: Quay, tag = the chart's
 * `appVersion`). Tag only: the chart pins no digest, and the digest could not be read offline
 * (docs/adr/0021).
 */
export const ARGO_ROLLOUTS_IMAGE: ImageReference = { repository: 'quay.io/argoproj/argo-rollouts', tag: ARGO_ROLLOUTS_APP_VERSION };
