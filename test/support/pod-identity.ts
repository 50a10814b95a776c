import { Match } from 'aws-cdk-lib/assertions';

/**
 * The trust policy statements of a `PodIdentityRole` (constructs/core/pod-identity-role.ts) for
 * `serviceAccounts` in `namespace`, as `Template.hasResourceProperties` matches them: one statement,
 * `sts:AssumeRole` and `sts:TagSession` for `pods.eks.amazonaws.com`, only for this account and
 * the cluster, namespace and service accounts EKS Pod Identity puts in the session tags.
 * `clusterArn` and `account` match any value unless given.
 */
export function podIdentityTrustStatements(namespace: string, serviceAccounts: string[], options: { clusterArn?: unknown; account?: unknown } = {}) {
  return [{
    Action: ['sts:AssumeRole', 'sts:TagSession'],
    Effect: 'Allow',
    Principal: { Service: 'pods.eks.amazonaws.com' },
    Condition: {
      StringEquals: {
        'aws:SourceAccount': options.account ?? Match.anyValue(),
        'aws:RequestTag/eks-cluster-arn': options.clusterArn ?? Match.anyValue(),
        'aws:RequestTag/kubernetes-namespace': namespace,
        'aws:RequestTag/kubernetes-service-account': serviceAccounts.length === 1 ? serviceAccounts[0] : serviceAccounts,
      },
    },
  }];
}
