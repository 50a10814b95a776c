import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * The upstream least-privilege IAM policy of the AWS Load Balancer Controller v3.5.0
 * (kubernetes-sigs/aws-load-balancer-controller `docs/install/iam_policy.json` at tag v3.5.0, the
 * controller that chart 3.5.0 ships; the file is unchanged since v2.17.1), statement by statement
 * and in upstream's order. Upstream's statements have no Sid: the Sids here are ours, for review.
 *
 * It differs from upstream only by narrowing: `arn:aws` becomes the stack's partition and
 * upstream's `*` region and account in ARNs become the stack's; and the statements upstream grants
 * on `*` whose actions are all regional EC2 and Elastic Load Balancing calls get the condition
 * `aws:RequestedRegion` = the stack's region (the region the chart is configured with). The `*`
 * resources themselves are upstream's. Only some of them are conditioned on the
 * `elbv2.k8s.aws/cluster` tag the controller puts on what it creates (creating load balancers and
 * target groups; modifying and deleting load balancers, target groups and security groups).
 * Upstream grants without any tag condition: security-group ingress changes on any security group
 * (ManageNodeSecurityGroupIngress, to open node and pod security groups to its load balancers),
 * creating security groups, creating and deleting listeners and rules and modifying them
 * (ManageListenersAndRules, ModifyListenersAndRules), and the WAF, Shield, ACM, Cognito and IAM
 * server-certificate calls (CertificatesWafShield, which also spans global services, so it keeps no
 * region condition either).
 *
 * test/constructs/mesh/load-balancer-controller-policy.test.ts compares the synthesized policy with
 * upstream's file (read from ../shared/upstream at test time): every upstream action with the same
 * effect, the same or stricter conditions and the same or narrower resources, and no other action.
 * When moving the controller, diff the new release's file and update this list to match.
 */
export function loadBalancerControllerStatements(scope: { readonly partition: string; readonly region: string; readonly account: string }): iam.PolicyStatement[] {
  const { partition, region, account } = scope;
  const elb = (resource: string) => `arn:${partition}:elasticloadbalancing:${region}:${account}:${resource}`;
  const sg = `arn:${partition}:ec2:${region}:${account}:security-group/*`;
  // Only for statements whose actions are all regional EC2 / Elastic Load Balancing calls.
  const inRegion = { StringEquals: { 'aws:RequestedRegion': region } };
  const clusterTagged = { ...inRegion, Null: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } };
  const tagTransfer = { Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'true', 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } };
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
      resources: ['*'],
      conditions: inRegion,
    }),
    new iam.PolicyStatement({ sid: 'CreateSecurityGroup', actions: ['ec2:CreateSecurityGroup'], resources: ['*'], conditions: inRegion }),
    new iam.PolicyStatement({
      sid: 'TagNewSecurityGroup',
      actions: ['ec2:CreateTags'],
      resources: [sg],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' }, Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' } },
    }),
    new iam.PolicyStatement({ sid: 'RetagOwnSecurityGroups', actions: ['ec2:CreateTags', 'ec2:DeleteTags'], resources: [sg], conditions: tagTransfer }),
    new iam.PolicyStatement({
      sid: 'ManageOwnSecurityGroups',
      actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:DeleteSecurityGroup'],
      resources: ['*'],
      conditions: clusterTagged,
    }),
    new iam.PolicyStatement({
      sid: 'CreateTaggedLoadBalancers',
      actions: ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'],
      resources: ['*'],
      conditions: { ...inRegion, Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' } },
    }),
    new iam.PolicyStatement({
      sid: 'ManageListenersAndRules',
      actions: ['elasticloadbalancing:CreateListener', 'elasticloadbalancing:DeleteListener', 'elasticloadbalancing:CreateRule', 'elasticloadbalancing:DeleteRule'],
      resources: ['*'],
      conditions: inRegion,
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
      conditions: clusterTagged,
    }),
    new iam.PolicyStatement({
      sid: 'TagOnCreate',
      actions: ['elasticloadbalancing:AddTags'],
      resources: loadBalancersAndTargetGroups,
      conditions: {
        StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateLoadBalancer'] },
        Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'RegisterTargets',
      actions: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
      resources: [elb('targetgroup/*/*')],
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
