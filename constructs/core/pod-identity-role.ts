import { Stack, Token } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { describeValue, isDns1123Label, validationFailure } from './validation';

/** The service principal of EKS Pod Identity (the EKS Auth service assumes roles for pods). */
export const POD_IDENTITY_PRINCIPAL = 'pods.eks.amazonaws.com';

/** Properties of a `PodIdentityRole`. */
export interface PodIdentityRoleProps {
  /** The cluster whose Pod Identity may assume the role; no other cluster's can. */
  readonly cluster: eks.ICluster;
  /** Namespace of the service accounts. */
  readonly namespace: string;
  /** The service accounts (in `namespace`) the role is for: at least one. */
  readonly serviceAccounts: string[];
  /** What the role is for, e.g. `Trace collector (tracing/trace-collector) through EKS Pod Identity`. */
  readonly description: string;
  /**
   * AWS managed policies to attach.
   * @default - none
   */
  readonly managedPolicies?: iam.IManagedPolicy[];
}

/**
 * An IAM role that only EKS Pod Identity can assume, and only for the named service accounts of
 * one namespace of one cluster in this account.
 *
 * The trust policy is the one EKS documents (`sts:AssumeRole` and `sts:TagSession` for
 * `pods.eks.amazonaws.com`), conditioned on the session tags EKS Pod Identity sets on every
 * assumption (`eks-cluster-arn`, `kubernetes-namespace`, `kubernetes-service-account`; EKS user
 * guide pages `pod-id-role` and `pod-id-abac`) and on `aws:SourceAccount`, the account on whose
 * behalf the service acts. An association that binds the role to another cluster, namespace or
 * service account therefore yields no credentials. Associations must keep session tags on
 * (`disableSessionTags` unset), as every construct of this library does.
 *
 * The cluster is named by the `eks-cluster-arn` session tag rather than `aws:SourceArn`: EKS
 * documents the tags for this purpose, but not the value Pod Identity puts in `aws:SourceArn`,
 * and a condition on an absent or different value would deny every credential request.
 */
export class PodIdentityRole extends iam.Role {
  /** The cluster whose Pod Identity may assume the role. */
  readonly cluster: eks.ICluster;
  /** Namespace of the service accounts. */
  readonly namespace: string;
  /** The service accounts the role is for. */
  readonly serviceAccounts: readonly string[];

  constructor(scope: Construct, id: string, props: PodIdentityRoleProps) {
    const fail = validationFailure('PodIdentityRole', `${scope.node.path}/${id}`);
    validateNames(fail, scope, props);
    super(scope, id, {
      assumedBy: new iam.ServicePrincipal(POD_IDENTITY_PRINCIPAL).withConditions({
        StringEquals: {
          'aws:SourceAccount': Stack.of(scope).account,
          'aws:RequestTag/eks-cluster-arn': props.cluster.clusterArn,
          'aws:RequestTag/kubernetes-namespace': props.namespace,
          'aws:RequestTag/kubernetes-service-account': props.serviceAccounts.length === 1 ? props.serviceAccounts[0] : [...props.serviceAccounts],
        },
      }).withSessionTags(),
      description: props.description,
      managedPolicies: props.managedPolicies,
    });
    this.cluster = props.cluster;
    this.namespace = props.namespace;
    this.serviceAccounts = [...props.serviceAccounts];
  }

  /**
   * Binds the role to one of its service accounts: an AWS::EKS::PodIdentityAssociation with the
   * given id in `scope` (ids are a contract: an association is replaced when its id changes).
   */
  associate(scope: Construct, id: string, serviceAccount: string): eks.CfnPodIdentityAssociation {
    if (!this.serviceAccounts.includes(serviceAccount)) {
      validationFailure('PodIdentityRole', this.node.path)(
        `associate() was given service account ${describeValue(serviceAccount)}, which the role does not trust (it trusts ${describeValue(this.serviceAccounts)}). Fix: list it in serviceAccounts.`);
    }
    return new eks.CfnPodIdentityAssociation(scope, id, {
      clusterName: this.cluster.clusterName,
      namespace: this.namespace,
      serviceAccount,
      roleArn: this.roleArn,
    });
  }
}

function validateNames(fail: (message: string) => never, scope: Construct, props: PodIdentityRoleProps): void {
  if (props.serviceAccounts.length === 0) fail('serviceAccounts is empty: a role no service account may assume is useless. Fix: list the service accounts the role is for.');
  const named: [string, string][] = [['namespace', props.namespace], ...props.serviceAccounts.map((sa, i): [string, string] => [`serviceAccounts[${i}]`, sa])];
  for (const [setting, value] of named) {
    if (Token.isUnresolved(value)) continue;
    if (!isDns1123Label(value) && !(setting !== 'namespace' && isDns1123Subdomain(value))) {
      fail(`${setting} is ${describeValue(value, scope)}, not a Kubernetes ${setting === 'namespace' ? 'namespace' : 'service account'} name. Fix: use lowercase letters, digits and "-" (e.g. "orders").`);
    }
  }
}

/** Service account names are DNS-1123 subdomains (dots allowed). */
function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && value.split('.').every(isDns1123Label);
}
