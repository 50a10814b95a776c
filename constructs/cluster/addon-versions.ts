/**
 * EKS managed add-on versions (see docs/adr/0010-eks-addon-versions.md).
 *
 * By default PlatformCluster sets no version: the AWS::EKS::Addon resource has no `AddonVersion`, so
 * EKS installs a version it offers for the cluster's Kubernetes version when the add-on is created,
 * and CloudFormation leaves it alone afterwards (an unchanged template changes nothing). A version
 * pinned here that EKS does not offer for the cluster's Kubernetes version fails the add-on creation
 * and rolls the stack back, and the stored AWS tables we can read offline stop at Kubernetes 1.34.
 *
 * Pin an add-on only with a version read from the live catalogue:
 *
 *     aws eks describe-addon-versions --kubernetes-version 1.36 --addon-name kube-proxy \
 *       --query 'addons[0].addonVersions[].[addonVersion, compatibilities[0].defaultVersion]' --output text
 *
 * or, for a running cluster, the version it runs:
 *
 *     aws eks describe-addon --cluster-name <name> --addon-name kube-proxy --query addon.addonVersion --output text
 */

/**
 * Explicit versions for the four managed add-ons of PlatformCluster. Every entry is optional: an
 * unset add-on gets the version EKS chooses for the cluster's Kubernetes version at creation.
 *
 * Each value must be an exact EKS build, `vX.Y.Z-eksbuild.N` (e.g. `v1.36.0-eksbuild.21`), never
 * `latest`/`default` or a wildcard, and offered by EKS for the cluster's Kubernetes version
 * (`aws eks describe-addon-versions --kubernetes-version <v> --addon-name <name>`). kube-proxy's
 * minor version must equal the cluster's. Changing a value later updates the add-on in place.
 */
export interface AddonVersionPins {
  /** `vpc-cni` (Amazon VPC CNI, with network-policy enforcement). @default - EKS chooses at creation */
  readonly vpcCni?: string;
  /** `coredns`. @default - EKS chooses at creation */
  readonly coreDns?: string;
  /** `kube-proxy`; its minor version must equal the cluster's. @default - EKS chooses at creation */
  readonly kubeProxy?: string;
  /** `eks-pod-identity-agent`. @default - EKS chooses at creation */
  readonly podIdentityAgent?: string;
}

/**
 * All four add-on versions, each required.
 * @deprecated Use {@link AddonVersionPins}, where every entry is optional. A complete
 * `AddonVersions` object is still accepted by `PlatformClusterProps.addonVersions`.
 */
export interface AddonVersions {
  /** `vpc-cni` (Amazon VPC CNI) version. */
  readonly vpcCni: string;
  /** `coredns` version. */
  readonly coreDns: string;
  /** `kube-proxy` version; its minor version must equal the cluster's. */
  readonly kubeProxy: string;
  /** `eks-pod-identity-agent` version. */
  readonly podIdentityAgent: string;
}

/** The EKS add-on name behind each key of {@link AddonVersionPins}. */
export const ADDON_NAMES: Readonly<Record<keyof AddonVersionPins, string>> = Object.freeze({
  vpcCni: 'vpc-cni',
  coreDns: 'coredns',
  kubeProxy: 'kube-proxy',
  podIdentityAgent: 'eks-pod-identity-agent',
});

/** An exact EKS add-on build: `v<major>.<minor>.<patch>-eksbuild.<n>`, nothing before or after. */
export const EKS_ADDON_VERSION_FORMAT = /^v\d+\.\d+\.\d+-eksbuild\.\d+$/;

/**
 * The table PlatformCluster used as its default until ADR 0010. It is no longer read by any
 * construct here.
 * @deprecated These versions were never checked against what EKS offers for Kubernetes 1.36, and
 * two of them (vpc-cni v1.21.1, coredns v1.13.2) are older than what 1.36 clusters were seen
 * running on 2026-12-05. Passing them as `addonVersions` can fail the first deployment. Leave
 * `addonVersions` unset, or pin versions read from `aws eks describe-addon-versions`. This
 * export will be removed.
 */
export const PINNED_ADDON_VERSIONS: Readonly<Record<string, AddonVersions>> = {
  '1.36': {
    vpcCni: 'v1.21.1-eksbuild.1',
    coreDns: 'v1.13.2-eksbuild.1',
    kubeProxy: 'v1.36.0-eksbuild.2',
    podIdentityAgent: 'v1.3.10-eksbuild.1',
  },
};
