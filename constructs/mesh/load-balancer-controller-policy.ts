import * as iam from 'aws-cdk-lib/aws-iam';

/** Where the controller's policy applies: the stack's partition, region and account, and the cluster it manages. */
export interface LoadBalancerControllerPolicyScope {
  /** The partition (e.g. `Aws.PARTITION`). */
  readonly partition: string;
  /** The region the controller runs in. */
  readonly region: string;
  /** The account the controller runs in. */
  readonly account: string;
  /**
   * The cluster name the controller tags what it creates with (`elbv2.k8s.aws/cluster`, the chart's
   * `clusterName`): the security groups, load balancers, target groups, listeners and rules it may
   * change or delete are then only its own cluster's, not any cluster's.
   * @default - any cluster's (upstream's `Null` tag conditions only)
   */
  readonly clusterName?: string;
  /**
   * The cluster's VPC id: security groups are created, and their ingress changed, in this VPC only.
   * @default - any VPC (upstream)
   */
  readonly vpcId?: string;
  /**
   * The subnets load balancers may be placed in (the VPC's public and private subnets).
   * @default - any subnet (upstream)
   */
  readonly loadBalancerSubnetIds?: string[];
}

/**
 * The upstream least-privilege IAM policy of the AWS Load Balancer Controller v3.5.0
 * (kubernetes-sigs/aws-load-balancer-controller `docs/install/iam_policy.json` at tag v3.5.0, the
 * controller that chart 3.5.0 ships; the file is unchanged since v2.17.1), statement by statement
 * and in upstream's order. Upstream's statements have no Sid: the Sids here are ours, for review.
 *
 * It differs from upstream only by narrowing:
 * - `arn:aws` becomes the stack's partition and upstream's `*` region and account in ARNs become
 *   the stack's; the statements upstream grants on `*` whose actions are all regional EC2 and
 *   Elastic Load Balancing calls get the condition `aws:RequestedRegion` = the stack's region.
 * - With `clusterName`: where upstream only requires the `elbv2.k8s.aws/cluster` tag to be present
 *   (`Null`), the tag must name this cluster (`StringEquals`, the value the controller writes:
 *   `pkg/deploy/tracking/provider.go`), on the resource changed (`aws:ResourceTag`) or in the
 *   request that creates it (`aws:RequestTag`). Upstream's unconditioned listener and rule
 *   create/delete calls (ManageListenersAndRules) and target registration (RegisterTargets) are
 *   conditioned on the tag too: the Service Authorization Reference lists `aws:ResourceTag` for all
 *   of their actions, the load balancer's for CreateListener and the listener's for CreateRule,
 *   and the controller tags listeners and rules (feature gate `ListenerRulesTagging`, on by
 *   default). Target groups bound with a TargetGroupBinding must then carry this cluster's tag.
 * - With `vpcId`: security-group ingress changes (ManageNodeSecurityGroupIngress, upstream: any
 *   group in the account; ManageOwnSecurityGroups) require `ec2:Vpc` = the cluster's VPC, and
 *   ManageNodeSecurityGroupIngress names security groups only (the action's one required resource
 *   type; the controller passes no rule tags, so no `security-group-rule` is authorized). Creating
 *   a security group (CreateSecurityGroup) names this VPC and security groups instead of `*`.
 * - With `loadBalancerSubnetIds`: CreateLoadBalancer and SetSubnets may name these subnets only
 *   (`ForAllValues:StringEquals elasticloadbalancing:Subnet`; requests without subnets, such as
 *   CreateTargetGroup, are not affected by it).
 *
 * What stays as upstream has it, because the API offers no narrower key for every action of the
 * statement: describe calls, the WAF/Shield/ACM/Cognito/IAM certificate calls
 * (CertificatesWafShield), tagging of listeners and rules (TagListenersAndRules: the same AddTags
 * call also tags listeners as they are created, before they carry any tag) and listener and rule
 * modification (ModifyListenersAndRules: SetWebAcl and SetRulePriorities have no condition keys).
 *
 * test/constructs/mesh/load-balancer-controller-policy.test.ts compares the synthesized policy with
 * upstream's file (read from ../shared/upstream at test time): every upstream action with the same
 * effect, the same or stricter conditions and the same or narrower resources, and no other action;
 * and exactly the narrowings listed above. When moving the controller, diff the new release's
 * file and update this list to match.
 */
export function loadBalancerControllerStatements(scope: LoadBalancerControllerPolicyScope): iam.PolicyStatement[] {
  const { partition, region, account, clusterName, vpcId, loadBalancerSubnetIds } = scope;
  const elb = (resource: string) => `arn:${partition}:elasticloadbalancing:${region}:${account}:${resource}`;
  const sg = `arn:${partition}:ec2:${region}:${account}:security-group/*`;
  // Only for statements whose actions are all regional EC2 / Elastic Load Balancing calls.
  const inRegion = { StringEquals: { 'aws:RequestedRegion': region } };
  const clusterTag = 'elbv2.k8s.aws/cluster';
  /** `StringEquals` on the cluster tag of the resource or the request, when the cluster is known. */
  const thisCluster = (key: 'aws:ResourceTag' | 'aws:RequestTag') => (clusterName === undefined ? {} : { [`${key}/${clusterTag}`]: clusterName });
  const inVpc = vpcId === undefined ? {} : { ArnEquals: { 'ec2:Vpc': `arn:${partition}:ec2:${region}:${account}:vpc/${vpcId}` } };
  const inSubnets = loadBalancerSubnetIds === undefined ? {} : { 'ForAllValues:StringEquals': { 'elasticloadbalancing:Subnet': [...loadBalancerSubnetIds] } };
  const clusterTagged = {
    StringEquals: { ...inRegion.StringEquals, ...thisCluster('aws:ResourceTag') },
    Null: { [`aws:ResourceTag/${clusterTag}`]: 'false' },
  };
  const tagTransfer = {
    ...(clusterName === undefined ? {} : { StringEquals: thisCluster('aws:ResourceTag') }),
    Null: { [`aws:RequestTag/${clusterTag}`]: 'true', [`aws:ResourceTag/${clusterTag}`]: 'false' },
  };
  const ownedByThisCluster = clusterName === undefined ? {} : { StringEquals: thisCluster('aws:ResourceTag') };
  const loadBalancersAndTargetGroups = [elb('targetgroup/*/*'), elb('loadbalancer/net/*/*'), elb('loadbalancer/app/*/*')];
  return [
    new iam.PolicyStatement({
      sid: 'CreateElbServiceLinkedRole',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: ['*'],
      conditions: { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } },
    }),
    new iam.PolicyStatement({
      sid: 'DescribeNetworkAndLoadBalancers',
      actions: [
        'ec2:DescribeAccountAttributes', 'ec2:DescribeAddresses', 'ec2:DescribeAvailabilityZones', 'ec2:DescribeInternetGateways',
        'ec2:DescribeVpcs', 'ec2:DescribeVpcPeeringConnections', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeInstances',
        'ec2:DescribeNetworkInterfaces', 'ec2:DescribeTags', 'ec2:GetCoipPoolUsage', 'ec2:DescribeCoipPools', 'ec2:GetSecurityGroupsForVpc',
        'ec2:DescribeIpamPools', 'ec2:DescribeRouteTables',
        'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeLoadBalancerAttributes', 'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeListenerCertificates', 'elasticloadbalancing:DescribeSSLPolicies', 'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetGroupAttributes', 'elasticloadbalancing:DescribeTargetHealth',
        'elasticloadbalancing:DescribeTags', 'elasticloadbalancing:DescribeTrustStores', 'elasticloadbalancing:DescribeListenerAttributes',
        'elasticloadbalancing:DescribeCapacityReservation',
      ],
      resources: ['*'],
      conditions: inRegion,
    }),
    new iam.PolicyStatement({
      sid: 'CertificatesWafShield',
      actions: [
        'cognito-idp:DescribeUserPoolClient', 'acm:ListCertificates', 'acm:DescribeCertificate', 'iam:ListServerCertificates', 'iam:GetServerCertificate',
        'waf-regional:GetWebACL', 'waf-regional:GetWebACLForResource', 'waf-regional:AssociateWebACL', 'waf-regional:DisassociateWebACL',
        'wafv2:GetWebACL', 'wafv2:GetWebACLForResource', 'wafv2:AssociateWebACL', 'wafv2:DisassociateWebACL',
        'shield:GetSubscriptionState', 'shield:DescribeProtection', 'shield:CreateProtection', 'shield:DeleteProtection',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'ManageNodeSecurityGroupIngress',
      actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'],
      resources: vpcId === undefined ? ['*'] : [sg],
      conditions: { ...inRegion, ...inVpc },
    }),
    new iam.PolicyStatement({
      sid: 'CreateSecurityGroup',
      actions: ['ec2:CreateSecurityGroup'],
      // The new group and the VPC it is created in are the action's two resources.
      resources: vpcId === undefined ? ['*'] : [sg, `arn:${partition}:ec2:${region}:${account}:vpc/${vpcId}`],
      conditions: inRegion,
    }),
    new iam.PolicyStatement({
      sid: 'TagNewSecurityGroup',
      actions: ['ec2:CreateTags'],
      resources: [sg],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup', ...thisCluster('aws:RequestTag') }, Null: { [`aws:RequestTag/${clusterTag}`]: 'false' } },
    }),
    new iam.PolicyStatement({ sid: 'RetagOwnSecurityGroups', actions: ['ec2:CreateTags', 'ec2:DeleteTags'], resources: [sg], conditions: tagTransfer }),
    new iam.PolicyStatement({
      sid: 'ManageOwnSecurityGroups',
      actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:DeleteSecurityGroup'],
      resources: ['*'],
      conditions: { ...clusterTagged, ...inVpc },
    }),
    new iam.PolicyStatement({
      sid: 'CreateTaggedLoadBalancers',
      actions: ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'],
      resources: ['*'],
      conditions: { StringEquals: { ...inRegion.StringEquals, ...thisCluster('aws:RequestTag') }, Null: { [`aws:RequestTag/${clusterTag}`]: 'false' }, ...inSubnets },
    }),
    new iam.PolicyStatement({
      sid: 'ManageListenersAndRules',
      actions: ['elasticloadbalancing:CreateListener', 'elasticloadbalancing:DeleteListener', 'elasticloadbalancing:CreateRule', 'elasticloadbalancing:DeleteRule'],
      resources: ['*'],
      conditions: { StringEquals: { ...inRegion.StringEquals, ...thisCluster('aws:ResourceTag') } },
    }),
    new iam.PolicyStatement({
      sid: 'RetagOwnLoadBalancers',
      actions: ['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'],
      resources: loadBalancersAndTargetGroups,
      conditions: tagTransfer,
    }),
    new iam.PolicyStatement({
      sid: 'TagListenersAndRules',
      actions: ['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'],
      resources: [elb('listener/net/*/*/*'), elb('listener/app/*/*/*'), elb('listener-rule/net/*/*/*'), elb('listener-rule/app/*/*/*')],
    }),
    new iam.PolicyStatement({
      sid: 'ManageOwnLoadBalancers',
      actions: [
        'elasticloadbalancing:ModifyLoadBalancerAttributes', 'elasticloadbalancing:SetIpAddressType', 'elasticloadbalancing:SetSecurityGroups',
        'elasticloadbalancing:SetSubnets', 'elasticloadbalancing:DeleteLoadBalancer', 'elasticloadbalancing:ModifyTargetGroup',
        'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:DeleteTargetGroup', 'elasticloadbalancing:ModifyListenerAttributes',
        'elasticloadbalancing:ModifyCapacityReservation', 'elasticloadbalancing:ModifyIpPools',
      ],
      resources: ['*'],
      conditions: { ...clusterTagged, ...inSubnets },
    }),
    new iam.PolicyStatement({
      sid: 'TagOnCreate',
      actions: ['elasticloadbalancing:AddTags'],
      resources: loadBalancersAndTargetGroups,
      conditions: {
        StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateLoadBalancer'], ...thisCluster('aws:RequestTag') },
        Null: { [`aws:RequestTag/${clusterTag}`]: 'false' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'RegisterTargets',
      actions: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
      resources: [elb('targetgroup/*/*')],
      ...(clusterName === undefined ? {} : { conditions: ownedByThisCluster }),
    }),
    new iam.PolicyStatement({
      sid: 'ModifyListenersAndRules',
      actions: [
        'elasticloadbalancing:SetWebAcl', 'elasticloadbalancing:ModifyListener', 'elasticloadbalancing:AddListenerCertificates',
        'elasticloadbalancing:RemoveListenerCertificates', 'elasticloadbalancing:ModifyRule', 'elasticloadbalancing:SetRulePriorities',
      ],
      resources: ['*'],
      conditions: inRegion,
    }),
  ];
}
