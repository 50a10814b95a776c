/**
 * EKS managed add-on versions, pinned per Kubernetes minor version so a synth never resolves
 * "latest". Before moving to a new Kubernetes version, list what EKS offers with
 * `aws eks describe-addon-versions --kubernetes-version <v> --addon-name <name>` and add a row.
 */
export interface AddonVersions {
  readonly vpcCni: string;
  readonly coreDns: string;
  readonly kubeProxy: string;
  readonly podIdentityAgent: string;
}

export const PINNED_ADDON_VERSIONS: Readonly<Record<string, AddonVersions>> = {
  '1.36': {
    vpcCni: 'v1.21.1-eksbuild.1',
    coreDns: 'v1.13.2-eksbuild.1',
    kubeProxy: 'v1.36.0-eksbuild.2',
    podIdentityAgent: 'v1.3.10-eksbuild.1',
  },
};
