import Ajv from 'ajv';
import type { KubernetesObject } from '../../constructs/compliance/evidence/kubernetes-objects';

/**
 * The schema of `vpcresources.k8s.aws/v1beta1` SecurityGroupPolicy, the CRD every EKS cluster
 * serves (security groups for pods). No npm model package covers it, so its `openAPIV3Schema` is
 * written out here, descriptions left out, from aws/amazon-vpc-resource-controller-k8s
 * `config/crd/bases/vpcresources.k8s.aws_securitygrouppolicies.yaml` (v1.7.19, controller-gen
 * v0.18.0); unknown fields are refused where the CRD lists its fields, as the structural-schema
 * check of the other CRDs does.
 */
const labelSelector = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: { key: { type: 'string' }, operator: { type: 'string' }, values: { type: 'array', items: { type: 'string' } } },
      },
    },
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

const SECURITY_GROUP_POLICY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        podSelector: labelSelector,
        securityGroups: {
          type: 'object',
          additionalProperties: false,
          properties: { groupIds: { type: 'array', items: { type: 'string' }, minItems: 1 } },
        },
        serviceAccountSelector: labelSelector,
      },
    },
  },
};

const validate = new Ajv({ allErrors: true, strict: false }).compile(SECURITY_GROUP_POLICY_SCHEMA);

/** True for an object of the `vpcresources.k8s.aws` API group. */
export function isVpcResourcesObject(object: KubernetesObject): boolean {
  return typeof object.apiVersion === 'string' && object.apiVersion.startsWith('vpcresources.k8s.aws/');
}

/** Throws when the object is not a SecurityGroupPolicy matching the CRD's schema. */
export function validateVpcResourcesObject(object: KubernetesObject): void {
  if (object.apiVersion !== 'vpcresources.k8s.aws/v1beta1' || object.kind !== 'SecurityGroupPolicy') {
    throw new Error(`no schema model for ${object.apiVersion} ${object.kind}`);
  }
  const shown = `${object.kind} "${object.metadata.name}"`;
  if (!validate(object)) {
    throw new Error(`${shown} does not match its schema: ${validate.errors!.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
  }
}
