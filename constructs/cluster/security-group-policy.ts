import { ApiObject, type ApiObjectMetadata, type GroupVersionKind } from 'cdk8s';
import type { Construct } from 'constructs';
import { validationFailure } from '../core/validation';

/**
 * Typed cdk8s object for the `SecurityGroupPolicy` of EKS security groups for pods
 * (`vpcresources.k8s.aws/v1beta1`, a CRD every EKS cluster has: the VPC resource controller in the
 * control plane serves it). Written like `cdk8s import` output, from the CRD schema of
 * aws/amazon-vpc-resource-controller-k8s (`config/crd/bases/vpcresources.k8s.aws_securitygrouppolicies.yaml`).
 *
 * The controller's webhook gives a new pod the groups of every policy in its namespace whose
 * selectors all match (the pod's labels for `podSelector`, its service account's labels for
 * `serviceAccountSelector`); the pod then runs on its own branch network interface with those groups.
 */

/** Metadata of a SecurityGroupPolicy: name is required, namespace should be set. */
export interface SecurityGroupPolicyMetadata extends ApiObjectMetadata {
  /** Name of the policy. */
  readonly name: string;
}

/** One requirement of a label selector. */
export interface SecurityGroupPolicyLabelRequirement {
  /** The label key. */
  readonly key: string;
  /** How the key relates to the values. */
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  /** Values for `In` and `NotIn`; none for `Exists` and `DoesNotExist`. @default - none */
  readonly values?: string[];
}

/** A Kubernetes label selector: `matchLabels` and `matchExpressions` are ANDed. */
export interface SecurityGroupPolicyLabelSelector {
  /** Labels that must all be present with these values. @default - none */
  readonly matchLabels?: Record<string, string>;
  /** Requirements that must all hold. @default - none */
  readonly matchExpressions?: SecurityGroupPolicyLabelRequirement[];
}

/** The security groups given to the selected pods. */
export interface SecurityGroupPolicyGroups {
  /** 1 to 5 security group ids; the pods' branch network interface gets all of them. */
  readonly groupIds: string[];
}

/** Spec of a SecurityGroupPolicy: at least one selector; with both, a pod must match both. */
export interface SecurityGroupPolicySpec {
  /** Pods by their labels. An empty selector matches every pod of the namespace. @default - not selected by pod labels */
  readonly podSelector?: SecurityGroupPolicyLabelSelector;
  /** Pods by the labels of their service account. @default - not selected by service account labels */
  readonly serviceAccountSelector?: SecurityGroupPolicyLabelSelector;
  /** The security groups. */
  readonly securityGroups: SecurityGroupPolicyGroups;
}

/** Properties of a `SecurityGroupPolicy`. */
export interface SecurityGroupPolicyProps {
  /** Metadata of the policy. */
  readonly metadata: SecurityGroupPolicyMetadata;
  /** Spec of the policy. */
  readonly spec: SecurityGroupPolicySpec;
}

/** Most security groups one SecurityGroupPolicy may give a pod (EKS user guide: "1-5 security group IDs"). */
export const SECURITY_GROUP_POLICY_MAX_GROUPS = 5;

/**
 * Gives the selected pods their own security groups (EKS security groups for pods). A policy with
 * no selector or no group is ignored by the controller, so both are refused here.
 */
export class SecurityGroupPolicy extends ApiObject {
  /** API version and kind of the SecurityGroupPolicy resource. */
  static readonly GVK: GroupVersionKind = { apiVersion: 'vpcresources.k8s.aws/v1beta1', kind: 'SecurityGroupPolicy' };

  constructor(scope: Construct, id: string, props: SecurityGroupPolicyProps) {
    const { spec } = props;
    const fail = validationFailure('SecurityGroupPolicy', props.metadata.name);
    if (!spec.podSelector && !spec.serviceAccountSelector) {
      fail(`no podSelector and no serviceAccountSelector; the controller ignores such a policy. Fix: select the pods by labels, by service account labels, or both.`);
    }
    const count = spec.securityGroups.groupIds.length;
    if (count < 1 || count > SECURITY_GROUP_POLICY_MAX_GROUPS) {
      fail(`securityGroups.groupIds has ${count} groups; the controller takes 1 to ${SECURITY_GROUP_POLICY_MAX_GROUPS}. Fix: list the groups the pods need, at most ${SECURITY_GROUP_POLICY_MAX_GROUPS}.`);
    }
    super(scope, id, { ...SecurityGroupPolicy.GVK, metadata: props.metadata, spec });
  }
}
