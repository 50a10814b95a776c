import { Match, Template } from 'aws-cdk-lib/assertions';
import { AWS_LOAD_BALANCER_CONTROLLER_CHART_VERSION, AwsLoadBalancerController, EKS_CHARTS_REPOSITORY } from '../../../constructs/mesh';
import { restrictedViolations } from '../../support/pod-security';
import { helmReleases, kubernetesObjects, objectOf, validateAgainstSchema } from '../../support/manifests';
import { synthWithGate } from '../../support/test-app';
import { meshTestCluster } from './mesh-test-cluster';
import { podIdentityTrustStatements } from '../../support/pod-identity';

describe('AwsLoadBalancerController', () => {
  // GIVEN a cluster WHEN the controller is added and synthesized through the gate
  const built = meshTestCluster('Lbc');
  new AwsLoadBalancerController(built.stack, 'Lbc', { cluster: built.cluster, vpc: built.vpc });
  const { findings } = synthWithGate(built.app);
  const template = Template.fromStack(built.stack);
  const release = helmReleases(template).find((r) => r.chart === 'aws-load-balancer-controller')!;

  test('passes the compliance gate with only registered acknowledgments', () => {
    expect(findings).toEqual([]);
  });

  test('pins chart 3.5.0 (controller v3.5.0, docs/adr/0009)', () => {
    expect(AWS_LOAD_BALANCER_CONTROLLER_CHART_VERSION).toBe('3.5.0');
    expect(EKS_CHARTS_REPOSITORY).toBe('https://aws.github.io/eks-charts');
  });

  test('installs the pinned chart from the official https repository in kube-system, two replicas over zones', () => {
    expect(release).toMatchObject({ repository: 'https://aws.github.io/eks-charts', version: '3.5.0', namespace: 'kube-system', release: 'aws-load-balancer-controller' });
    expect(release.values).toMatchObject({ replicaCount: 2, podDisruptionBudget: { maxUnavailable: 1 }, enableServiceMutatorWebhook: false });
    expect(release.values.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
  });

  test('load balancers only for Services that ask (no Service mutator webhook, no ALB Ingress class), no cluster-wide Secrets read, webhook certificate renewed on upgrade', () => {
    expect(release.values).toMatchObject({
      enableServiceMutatorWebhook: false,
      createIngressClassResource: false,
      disableIngressClassAnnotation: true,
      clusterSecretsPermissions: { allowAllSecrets: false },
      keepTLSSecret: false,
    });
  });

  test('runs as Pod Security "restricted" would admit it (the chart default drops no capabilities, sets no seccomp)', () => {
    const { podSecurityContext, securityContext } = release.values;
    expect(securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(podSecurityContext).toEqual({ fsGroup: 65534, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    // as the chart's deployment template places them (pod and the one container)
    expect(restrictedViolations({ securityContext: podSecurityContext, containers: [{ name: 'aws-load-balancer-controller', securityContext }] })).toEqual([]);
  });

  test('its pods are isolated in kube-system by their own NetworkPolicy (schema-valid), applied before the chart: webhook calls from the API server in; DNS, the Pod Identity agent and HTTPS to the API server and the VPC endpoints out', () => {
    const policy = objectOf(kubernetesObjects(template), 'NetworkPolicy', 'aws-load-balancer-controller');
    validateAgainstSchema(policy);
    expect(policy.metadata).toMatchObject({ name: 'aws-load-balancer-controller', namespace: 'kube-system' });
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'aws-load-balancer-controller' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ ipBlock: { cidr: '10.50.0.0/16' } }], ports: [{ protocol: 'TCP', port: 9443 }] }],
      egress: [
        { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        { to: [{ ipBlock: { cidr: '169.254.170.23/32' } }], ports: [{ protocol: 'TCP', port: 80 }] },
        { to: [{ ipBlock: { cidr: '172.20.0.1/32' } }, { ipBlock: { cidr: '10.50.0.0/16' } }], ports: [{ protocol: 'TCP', port: 443 }] },
      ],
    });
    const policyManifest = Object.entries(template.findResources('Custom::AWSCDK-EKS-KubernetesResource')).find(([, r]) => JSON.stringify(r.Properties.Manifest).includes('"name\\":\\"aws-load-balancer-controller\\",\\"namespace\\":\\"kube-system\\"'));
    expect(policyManifest).toBeDefined();
    expect(release.dependsOn).toContain(policyManifest![0]);
  });

  test('knows its VPC and region without IMDS', () => {
    expect(release.values.vpcId).toBe('{{Ref:NetworkVpc7FB7348F}}');
    expect(release.values.region).toBe('{{Ref:AWS::Region}}');
  });

  test('gets AWS rights through Pod Identity, for its service account only', () => {
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: 'kube-system', ServiceAccount: 'aws-load-balancer-controller' });
    // the chart names its service account after serviceAccount.name (its default would be the release's fullname)
    expect(release.values.serviceAccount).toEqual({ create: true, name: 'aws-load-balancer-controller' });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: podIdentityTrustStatements('kube-system', ['aws-load-balancer-controller']) },
      Description: Match.stringLikeRegexp('AWS Load Balancer Controller'),
    });
    expect(release.dependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/PodIdentity/)]));
  });

  test('its policy is a customer managed policy: modifying actions are conditioned on this cluster\'s tag and VPC', () => {
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('Load Balancer Controller') } }))[0];
    expect(policy.Properties.Description).toBe('Upstream least-privilege policy of the AWS Load Balancer Controller v3.5.0');
    const statements: { Sid: string; Condition?: unknown; Resource: unknown }[] = policy.Properties.PolicyDocument.Statement;
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    const region = { Ref: 'AWS::Region' };
    const clusterName = built.stack.resolve(built.cluster.clusterName);
    const inVpc = { ArnEquals: { 'ec2:Vpc': built.stack.resolve(`arn:${built.stack.partition}:ec2:${built.stack.region}:${built.stack.account}:vpc/${built.vpc.vpcId}`) } };
    const inSubnets = { 'ForAllValues:StringEquals': { 'elasticloadbalancing:Subnet': built.stack.resolve([...built.vpc.publicSubnets, ...built.vpc.privateSubnets].map((subnet) => subnet.subnetId)) } };
    // the tag must name this cluster, not merely exist (upstream's Null check is kept)
    const ownTag = { StringEquals: { 'aws:RequestedRegion': region, 'aws:ResourceTag/elbv2.k8s.aws/cluster': clusterName }, Null: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } };
    expect(bySid.ManageOwnSecurityGroups.Condition).toEqual({ ...ownTag, ...inVpc });
    expect(bySid.ManageOwnLoadBalancers.Condition).toEqual({ ...ownTag, ...inSubnets });
    expect(bySid.CreateTaggedLoadBalancers.Condition).toEqual({
      StringEquals: { 'aws:RequestedRegion': region, 'aws:RequestTag/elbv2.k8s.aws/cluster': clusterName }, Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' }, ...inSubnets,
    });
    // security-group ingress (upstream: any group of the account) only in the cluster's VPC
    expect(bySid.ManageNodeSecurityGroupIngress).toMatchObject({ Resource: { 'Fn::Join': ['', expect.arrayContaining([':security-group/*'])] }, Condition: { StringEquals: { 'aws:RequestedRegion': region }, ...inVpc } });
    expect(bySid.RegisterTargets.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': clusterName } });
    expect(bySid.CreateElbServiceLinkedRole.Condition).toEqual({ StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } });
    // ARNs narrowed to this account and region (upstream allows any)
    expect(JSON.stringify(bySid.RegisterTargets.Resource)).toContain('"Ref":"AWS::AccountId"');
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('elasticloadbalancing');
  });

  test('every statement on "*" whose actions are all EC2 or Elastic Load Balancing calls is limited to the stack\'s region; the others are upstream\'s', () => {
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('Load Balancer Controller') } }))[0];
    const statements: { Sid: string; Action: string | string[]; Condition?: { StringEquals?: Record<string, unknown> }; Resource: unknown }[] = policy.Properties.PolicyDocument.Statement;
    const onStar = statements.filter((s) => s.Resource === '*');
    const regional = onStar.filter((s) => ([] as string[]).concat(s.Action).every((a) => /^(ec2|elasticloadbalancing):/.test(a)));
    // (ManageNodeSecurityGroupIngress and CreateSecurityGroup name security groups and the VPC instead of "*", in the region too)
    expect(regional.map((s) => s.Sid)).toEqual([
      'DescribeNetworkAndLoadBalancers', 'ManageOwnSecurityGroups',
      'CreateTaggedLoadBalancers', 'ManageListenersAndRules', 'ManageOwnLoadBalancers', 'ModifyListenersAndRules',
    ]);
    for (const sid of ['ManageNodeSecurityGroupIngress', 'CreateSecurityGroup']) {
      expect(statements.find((s) => s.Sid === sid)!.Condition?.StringEquals?.['aws:RequestedRegion']).toEqual({ Ref: 'AWS::Region' });
    }
    for (const s of regional) expect({ sid: s.Sid, region: s.Condition?.StringEquals?.['aws:RequestedRegion'] }).toEqual({ sid: s.Sid, region: { Ref: 'AWS::Region' } });
    // IAM (global) and the certificate, WAF and Shield calls (Shield is global) keep upstream's conditions
    expect(onStar.filter((s) => !regional.includes(s)).map((s) => [s.Sid, s.Condition])).toEqual([
      ['CreateElbServiceLinkedRole', { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } }],
      ['CertificatesWafShield', undefined],
    ]);
  });
});
