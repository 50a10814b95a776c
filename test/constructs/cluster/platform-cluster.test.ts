import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { PINNED_ADDON_VERSIONS, PlatformCluster, type AddonVersions, type PlatformClusterProps } from '../../../constructs/cluster';
import { ZeroTrustVpc } from '../../../constructs/network';
import { actionsOf, boundLogGroupNames, keyPolicyStatements, viaServices } from '../../support/key-policy';
import { createTestApp, synthWithGate } from '../../support/test-app';
import { kubernetesObjects, objectOf, validateAgainstSchema } from '../../support/manifests';
import { egressOf, internetEgress } from '../../support/security-group-egress';
import { podIdentityTrustStatements } from '../../support/pod-identity';

/** Matches an Fn::Join whose literal parts contain `text`. */
const joinContaining = (text: string) => Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp(text)])]) });

/** The AWS::EKS::Addon properties of each add-on in `template`, by add-on name. */
function addonsByName(template: Template): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.values(template.findResources('AWS::EKS::Addon'))
    .map((resource) => [resource.Properties.AddonName as string, resource.Properties as Record<string, unknown>]));
}

/** AddonVersion of each add-on in `template`, by add-on name (undefined: EKS chooses at creation). */
function addonVersionsByName(template: Template): Record<string, unknown> {
  return Object.fromEntries(Object.entries(addonsByName(template)).map(([name, properties]) => [name, properties.AddonVersion]));
}

function clusterStack(props: Partial<PlatformClusterProps> = {}, id = 'Eks') {
  const app = createTestApp();
  const stack = new Stack(app, id);
  const network = new ZeroTrustVpc(stack, 'Network', { cidr: '10.50.0.0/16' });
  const cluster = new PlatformCluster(stack, 'Platform', {
    vpc: network.vpc,
    version: eks.KubernetesVersion.V1_36,
    kubectlLayer: new KubectlV36Layer(stack, 'KubectlLayer'),
    ...props,
  });
  return { app, stack, cluster, network };
}

/** The logical id of a construct's CloudFormation resource (an L2's default child). */
const logicalIdOf = (construct: { node: { defaultChild?: unknown } } & object): string => {
  const resource = (construct.node.defaultChild ?? construct) as ec2.CfnSecurityGroup;
  return Stack.of(resource).resolve(resource.logicalId);
};

describe('PlatformCluster', () => {
  let template: Template;
  let findings: ReturnType<typeof synthWithGate>['findings'];
  let built: ReturnType<typeof clusterStack>;

  beforeAll(() => {
    // GIVEN a cluster with one admin and one viewer role
    built = clusterStack({
      adminRoles: [iam.Role.fromRoleArn(new Stack(), 'A', 'arn:aws:iam::123456789012:role/platform-admins')],
      viewerRoles: [iam.Role.fromRoleArn(new Stack(), 'V', 'arn:aws:iam::123456789012:role/auditors')],
    });
    // WHEN synthesized through the compliance gate
    findings = synthWithGate(built.app).findings;
    template = Template.fromStack(built.stack);
  });

  const clusterProps = () => Object.values(template.findResources('AWS::EKS::Cluster'))[0].Properties;
  const workloadSubnetRefs = () => built.network.vpc.selectSubnets({ subnetGroupName: 'Workloads' }).subnetIds.map((id) => built.stack.resolve(id));

  test('passes the compliance gate with only registered acknowledgments', () => {
    expect(findings).toEqual([]);
  });

  test('API endpoint is private by default', () => {
    expect(clusterProps().ResourcesVpcConfig).toMatchObject({ EndpointPrivateAccess: true, EndpointPublicAccess: false });
    expect(clusterProps().ResourcesVpcConfig.PublicAccessCidrs).toBeUndefined();
  });

  test('control-plane ENIs live in the private workload subnets', () => {
    expect(clusterProps().ResourcesVpcConfig.SubnetIds).toEqual(workloadSubnetRefs());
  });

  test('secrets are envelope-encrypted with a rotating customer key', () => {
    const encryption = clusterProps().EncryptionConfig;
    expect(encryption).toEqual([{ Provider: { KeyArn: { 'Fn::GetAtt': [expect.stringMatching(/SecretsKey/), 'Arn'] } }, Resources: ['secrets'] }]);
    const keyId = encryption[0].Provider.KeyArn['Fn::GetAtt'][0];
    expect(template.toJSON().Resources[keyId].Properties.EnableKeyRotation).toBe(true);
  });

  test('all five control-plane log types are on', () => {
    expect(clusterProps().Logging.ClusterLogging.EnabledTypes.map((t: { Type: string }) => t.Type).sort())
      .toEqual(['api', 'audit', 'authenticator', 'controllerManager', 'scheduler']);
  });

  test('control-plane logs go to a pre-created, KMS-encrypted log group with retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/eks/${clusterProps().Name}/cluster`,
      KmsKeyId: Match.anyValue(),
      RetentionInDays: 365,
    });
  });

  test('access entries only, and no implicit admin for the creator', () => {
    expect(clusterProps().AccessConfig).toEqual({ AuthenticationMode: 'API', BootstrapClusterCreatorAdminPermissions: false });
  });

  test('admins from config get cluster-admin through an access entry', () => {
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: 'arn:aws:iam::123456789012:role/platform-admins',
      AccessPolicies: [{ AccessScope: { Type: 'cluster' }, PolicyArn: joinContaining('cluster-access-policy/AmazonEKSClusterAdminPolicy') }],
    });
  });

  test('viewers get read-only access', () => {
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: 'arn:aws:iam::123456789012:role/auditors',
      AccessPolicies: [{ AccessScope: { Type: 'cluster' }, PolicyArn: joinContaining('cluster-access-policy/AmazonEKSViewPolicy') }],
    });
  });

  test('nodes run in the private workload subnets only', () => {
    template.hasResourceProperties('AWS::EKS::Nodegroup', { Subnets: workloadSubnetRefs(), AmiType: 'AL2023_x86_64_STANDARD' });
  });

  test('nodes require IMDSv2 with a hop limit of 1, so pods cannot use node credentials', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 } }),
    });
  });

  test('node root volumes are encrypted with a customer key', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: Match.objectLike({ Encrypted: true, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('NodeVolumeKey'), 'Arn'] } }) }],
      }),
    });
  });

  test('the node key admits CloudWatch Logs for exactly the cluster\'s log groups (control plane, kubectl provider functions); the secrets key is usable through EKS only', () => {
    // (before: the node key admitted every log group of the account; the account root had kms:* on both keys)
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
    const nodeKey = built.stack.getLogicalId(built.cluster.nodeVolumeKey.node.defaultChild as never);
    const encrypted = Object.values(resources).filter((r) => r.Type === 'AWS::Logs::LogGroup' && r.Properties.KmsKeyId?.['Fn::GetAtt']?.[0] === nodeKey);
    expect(encrypted).toHaveLength(3);
    expect(boundLogGroupNames(keyPolicyStatements(template, built.stack, built.cluster.nodeVolumeKey)).sort()).toEqual(encrypted.map((g) => g.Properties.LogGroupName as string).sort());
    const secrets = keyPolicyStatements(template, built.stack, built.cluster.secretsKey);
    expect(viaServices(secrets)).toEqual(['eks']);
    expect(secrets.flatMap(actionsOf)).not.toContain('kms:*');
  });

  test('the node key lets the Auto Scaling service-linked role launch encrypted volumes', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'AllowAutoScalingToUseKeyForEbs',
        Principal: { AWS: joinContaining('AWSServiceRoleForAutoScaling') },
      })]) },
    });
  });

  test('the node role holds only the node policies (no CNI rights)', () => {
    const role = Object.values(template.findResources('AWS::IAM::Role', { Properties: { Description: Match.stringLikeRegexp('EKS worker nodes') } }))[0];
    const policies = JSON.stringify(role.Properties.ManagedPolicyArns);
    expect(policies).toContain('AmazonEKSWorkerNodePolicy');
    expect(policies).toContain('AmazonEC2ContainerRegistryPullOnly');
    expect(policies).not.toContain('AmazonEKS_CNI_Policy');
    expect(role.Properties.Policies).toBeUndefined();
  });

  test('VPC CNI enforces network policies and gets its rights through Pod Identity', () => {
    template.hasResourceProperties('AWS::EKS::Addon', {
      AddonName: 'vpc-cni',
      ConfigurationValues: Match.serializedJson(Match.objectLike({ enableNetworkPolicy: 'true' })),
      PodIdentityAssociations: [{ ServiceAccount: 'aws-node', RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('VpcCniRole'), 'Arn'] } }],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: podIdentityTrustStatements('kube-system', ['aws-node'], { clusterArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PlatformCluster'), 'Arn'] } }) },
      ManagedPolicyArns: [joinContaining('AmazonEKS_CNI_Policy')],
    });
  });

  test('the Pod Identity agent is installed', () => {
    template.hasResourceProperties('AWS::EKS::Addon', { AddonName: 'eks-pod-identity-agent' });
  });

  test('by default no add-on has an AddonVersion: EKS chooses a version it offers for 1.36 at creation (ADR 0010)', () => {
    expect(addonVersionsByName(template)).toEqual({
      'coredns': undefined,
      'eks-pod-identity-agent': undefined,
      'kube-proxy': undefined,
      'vpc-cni': undefined,
    });
    for (const properties of Object.values(addonsByName(template))) {
      expect(Object.keys(properties)).not.toContain('AddonVersion');
    }
  });

  test('add-ons are removed with the stack (PreserveOnDelete false) and set no ResolveConflicts', () => {
    const settings = Object.values(addonsByName(template)).map((p) => [p.AddonName, p.PreserveOnDelete, p.ResolveConflicts]);
    expect(settings.sort()).toEqual([
      ['coredns', false, undefined],
      ['eks-pod-identity-agent', false, undefined],
      ['kube-proxy', false, undefined],
      ['vpc-cni', false, undefined],
    ]);
  });

  test('no self-managed add-ons: networking comes only from the managed add-ons', () => {
    expect(clusterProps().BootstrapSelfManagedAddons).toBe(false);
  });

  test('the kubectl handler runs in the private workload subnets', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: Match.anyValue(),
      VpcConfig: { SubnetIds: workloadSubnetRefs(), SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('KubectlSecurityGroup'), 'GroupId'] }] },
    });
  });

  test('the kubectl handler reaches the API server on 443 through the cluster security group', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp', FromPort: 443, ToPort: 443,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('KubectlSecurityGroup'), 'GroupId'] },
    });
  });

  test('the kubectl handler sends HTTPS to exactly the API server, the VPC interface endpoints and S3 (gateway endpoint prefix list): nothing to 0.0.0.0/0', () => {
    const https = (peer: unknown) => ({ peer: JSON.stringify(built.stack.resolve(peer)), protocol: 'tcp', ports: '443-443' });
    expect(egressOf(template, logicalIdOf(built.cluster.kubectlSecurityGroup))).toEqual([
      https(built.cluster.cluster.clusterSecurityGroupId),
      https(built.network.endpointSecurityGroup.securityGroupId),
      https(built.network.s3PrefixList.prefixListId),
    ].sort((a, b) => a.peer.localeCompare(b.peer)));
  });

  test('the control-plane security group sends only TCP to the cluster security group (nodes and pods), in place of its allow-all rule', () => {
    const group = built.cluster.cluster.node.findChild('ControlPlaneSecurityGroup') as ec2.SecurityGroup;
    const resource = template.toJSON().Resources[logicalIdOf(group)];
    // The group itself stays (same logical id, same description): its egress is replaced in place.
    expect(resource.Properties.GroupDescription).toBe('EKS Control Plane Security Group');
    expect(resource.Properties.SecurityGroupEgress).toEqual([{ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic', IpProtocol: 'icmp', FromPort: 252, ToPort: 86 }]);
    expect(egressOf(template, logicalIdOf(group))).toEqual([{ peer: JSON.stringify(built.stack.resolve(built.cluster.cluster.clusterSecurityGroupId)), protocol: 'tcp', ports: '0-65535' }]);
  });

  test('no security group of the cluster sends anything to 0.0.0.0/0', () => {
    expect(internetEgress(template)).toEqual([]);
  });

  test('without known endpoints (a VPC not built by a ZeroTrustVpc), the kubectl handler sends HTTPS to the API server and the VPC CIDR only', () => {
    const stack = new Stack(createTestApp(), 'Plain');
    const vpc = new ec2.Vpc(stack, 'Vpc', { ipAddresses: ec2.IpAddresses.cidr('10.60.0.0/16'), natGateways: 0, subnetConfiguration: [{ name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }] });
    const cluster = new PlatformCluster(stack, 'Platform', { vpc, version: eks.KubernetesVersion.V1_36, kubectlLayer: new KubectlV36Layer(stack, 'KubectlLayer') });
    const egress = egressOf(Template.fromStack(stack), logicalIdOf(cluster.kubectlSecurityGroup));
    expect(egress).toEqual([
      { peer: JSON.stringify(stack.resolve(cluster.cluster.clusterSecurityGroupId)), protocol: 'tcp', ports: '443-443' },
      { peer: '10.60.0.0/16', protocol: 'tcp', ports: '443-443' },
    ]);
  });

  test('CoreDNS (kube-system) is isolated by its own NetworkPolicy: DNS in from every pod and the VPC, out to the VPC resolver, HTTPS to the API server', () => {
    const policy = objectOf(kubernetesObjects(template), 'NetworkPolicy', 'coredns');
    validateAgainstSchema(policy);
    const dns = [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }];
    expect(policy.metadata).toMatchObject({ name: 'coredns', namespace: 'kube-system' });
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ namespaceSelector: {} }, { ipBlock: { cidr: '10.50.0.0/16' } }], ports: dns }],
      egress: [
        { to: [{ ipBlock: { cidr: '10.50.0.2/32' } }], ports: dns },
        { to: [{ ipBlock: { cidr: '172.20.0.1/32' } }, { ipBlock: { cidr: '10.50.0.0/16' } }], ports: [{ protocol: 'TCP', port: 443 }] },
      ],
    });
  });

  test('the control-plane role is assumable only by EKS and holds only AmazonEKSClusterPolicy and AmazonEKSVPCResourceController (security groups for pods)', () => {
    const role = template.findResources('AWS::IAM::Role')[built.stack.resolve((built.cluster.cluster.role.node.defaultChild as iam.CfnRole).logicalId)];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' } }]);
    expect(JSON.stringify(role.Properties.ManagedPolicyArns).match(/policy\/[\w/-]+/g)).toEqual(['policy/AmazonEKSClusterPolicy', 'policy/AmazonEKSVPCResourceController']);
    expect(role.Properties.Policies).toBeUndefined();
  });

  describe('the kubectl provider aws-eks-v2 builds', () => {
    const functionIds = () => Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([id]) => id.includes('KubectlProvider'))
      .map(([id, fn]) => ({ id, role: fn.Properties.Role['Fn::GetAtt'][0] as string }));
    const policyOf = (roleId: string) => Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]));

    test('both its functions (handler, provider framework) run in the private workload subnets with the kubectl security group, HTTPS out only', () => {
      expect(functionIds()).toHaveLength(2);
      for (const { id } of functionIds()) {
        expect(template.findResources('AWS::Lambda::Function')[id].Properties.VpcConfig).toEqual({
          SubnetIds: workloadSubnetRefs(),
          SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(/KubectlSecurityGroup/), 'GroupId'] }],
        });
      }
      template.hasResourceProperties('AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('kubectl handler') });
      expect(egressOf(template, logicalIdOf(built.cluster.kubectlSecurityGroup)).every((rule) => rule.protocol === 'tcp' && rule.ports === '443-443')).toBe(true);
    });

    test('the handler role: trusted by Lambda only, read-only and logging managed policies, an inline policy that only describes this cluster, cluster-admin through its one access entry', () => {
      const handler = functionIds().find(({ id }) => id.includes('Handler'))!;
      const role = template.findResources('AWS::IAM::Role')[handler.role];
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }]);
      expect(JSON.stringify(role.Properties.ManagedPolicyArns).match(/policy\/[\w/-]+/g)).toEqual([
        'policy/service-role/AWSLambdaBasicExecutionRole', 'policy/service-role/AWSLambdaVPCAccessExecutionRole',
        'policy/AmazonEC2ContainerRegistryReadOnly', 'policy/AmazonElasticContainerRegistryPublicReadOnly',
      ]);
      const [policy] = policyOf(handler.role);
      expect(policy.Properties.PolicyDocument.Statement).toEqual([{ Action: 'eks:DescribeCluster', Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^PlatformCluster/), 'Arn'] } }]);
      const entries = Object.values(template.findResources('AWS::EKS::AccessEntry')).filter((e) => JSON.stringify(e.Properties.PrincipalArn) === JSON.stringify({ 'Fn::GetAtt': [handler.role, 'Arn'] }));
      expect(entries).toHaveLength(1);
    });

    test('both its functions log to log groups of the stack, encrypted with the node key and kept as long as the control-plane logs', () => {
      // (before: no LoggingConfig: Lambda made /aws/lambda/<function> on first use, unencrypted and kept forever,
      // with every manifest the handler applies in it)
      const resources = template.toJSON().Resources;
      for (const { id } of functionIds()) {
        const group = resources[resources[id].Properties.LoggingConfig.LogGroup.Ref];
        expect({ id, group }).toMatchObject({ id, group: { Type: 'AWS::Logs::LogGroup', Properties: {
          LogGroupName: expect.stringMatching(/^\/aws\/lambda\/.*KubectlProvider/), RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [built.stack.getLogicalId(built.cluster.nodeVolumeKey.node.defaultChild as never), 'Arn'] },
        } } });
      }
    });

    test('the provider framework role: trusted by Lambda only, logging and ENI managed policies, an inline policy that only invokes the kubectl handler', () => {
      const handler = functionIds().find(({ id }) => id.includes('Handler'))!;
      const framework = functionIds().find(({ id }) => id.includes('framework'))!;
      const role = template.findResources('AWS::IAM::Role')[framework.role];
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }]);
      expect(JSON.stringify(role.Properties.ManagedPolicyArns).match(/policy\/[\w/-]+/g)).toEqual(['policy/service-role/AWSLambdaBasicExecutionRole', 'policy/service-role/AWSLambdaVPCAccessExecutionRole']);
      const [policy] = policyOf(framework.role);
      for (const statement of policy.Properties.PolicyDocument.Statement as { Action: string; Resource: unknown }[]) {
        expect(['lambda:InvokeFunction', 'lambda:GetFunction']).toContain(statement.Action);
        for (const resource of ([] as unknown[]).concat(statement.Resource)) expect(JSON.stringify(resource)).toContain(`"Fn::GetAtt":["${handler.id}","Arn"]`);
      }
    });
  });

  test('exposes the cluster, its kubectl provider and connections', () => {
    expect(built.cluster.kubectlProvider).toBeDefined();
    expect(built.cluster.connections).toBe(built.cluster.cluster.connections);
    expect(built.cluster.nodegroup).toBeInstanceOf(eks.Nodegroup);
  });

  test('a public endpoint is possible only with an explicit allow-list', () => {
    const { stack } = clusterStack({ publicEndpointAllowedCidrs: ['203.0.113.0/24'] }, 'Public');
    Template.fromStack(stack).hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ EndpointPublicAccess: true, EndpointPrivateAccess: true, PublicAccessCidrs: ['203.0.113.0/24'] }),
    });
  });

  test('a pinned add-on gets exactly that AddonVersion; the others stay unset', () => {
    const { stack } = clusterStack({ addonVersions: { kubeProxy: 'v1.36.0-eksbuild.21', podIdentityAgent: 'v1.3.10-eksbuild.3' } }, 'Pinned');
    expect(addonVersionsByName(Template.fromStack(stack))).toEqual({
      'coredns': undefined,
      'eks-pod-identity-agent': 'v1.3.10-eksbuild.3',
      'kube-proxy': 'v1.36.0-eksbuild.21',
      'vpc-cni': undefined,
    });
  });

  test('a complete object of the deprecated AddonVersions type is still accepted', () => {
    const all: AddonVersions = { vpcCni: 'v1.22.4-eksbuild.1', coreDns: 'v1.14.3-eksbuild.2', kubeProxy: 'v1.36.0-eksbuild.21', podIdentityAgent: 'v1.3.10-eksbuild.3' };
    const { stack } = clusterStack({ addonVersions: all }, 'AllPinned');
    expect(addonVersionsByName(Template.fromStack(stack))).toEqual({
      'coredns': 'v1.14.3-eksbuild.2',
      'eks-pod-identity-agent': 'v1.3.10-eksbuild.3',
      'kube-proxy': 'v1.36.0-eksbuild.21',
      'vpc-cni': 'v1.22.4-eksbuild.1',
    });
  });

  test('another Kubernetes version needs no version table: its add-ons are unpinned too', () => {
    const { stack } = clusterStack({ version: eks.KubernetesVersion.V1_35 }, 'Other');
    expect(Object.values(addonVersionsByName(Template.fromStack(stack)))).toEqual([undefined, undefined, undefined, undefined]);
  });

  test('the deprecated PINNED_ADDON_VERSIONS table is unchanged and no longer the default', () => {
    expect(PINNED_ADDON_VERSIONS).toEqual({
      '1.36': { vpcCni: 'v1.21.1-eksbuild.1', coreDns: 'v1.13.2-eksbuild.1', kubeProxy: 'v1.36.0-eksbuild.2', podIdentityAgent: 'v1.3.10-eksbuild.1' },
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('eksbuild');
  });

  test.each([
    [{ publicEndpointAllowedCidrs: ['0.0.0.0/0'] }, 'publicEndpointAllowedCidrs has "0.0.0.0/0", which opens the API server to too wide a range (wider than /16)'],
    [{ publicEndpointAllowedCidrs: ['example.com'] }, 'publicEndpointAllowedCidrs has "example.com", which is not an IPv4 CIDR'],
    [{ addonVersions: { kubeProxy: 'v1.33.0-eksbuild.1' } },
      'addonVersions.kubeProxy is "v1.33.0-eksbuild.1", whose minor version 1.33 does not match the cluster\'s Kubernetes 1.36. Fix: use a v1.36.x-eksbuild.N version listed by `aws eks describe-addon-versions --kubernetes-version 1.36 --addon-name kube-proxy`, or leave addonVersions.kubeProxy unset.'],
    [{ version: eks.KubernetesVersion.V1_35, addonVersions: { kubeProxy: 'v1.36.0-eksbuild.21' } },
      'addonVersions.kubeProxy is "v1.36.0-eksbuild.21", whose minor version 1.36 does not match the cluster\'s Kubernetes 1.35. Fix: use a v1.35.x-eksbuild.N version listed by `aws eks describe-addon-versions --kubernetes-version 1.35 --addon-name kube-proxy`, or leave addonVersions.kubeProxy unset.'],
    [{ addonVersions: { vpcCni: 'v1.22.4-eksbuild.x' } },
      'addonVersions.vpcCni is "v1.22.4-eksbuild.x", which is not an exact EKS add-on version (a literal vX.Y.Z-eksbuild.N). Fix: use a version listed by `aws eks describe-addon-versions --kubernetes-version 1.36 --addon-name vpc-cni`, or leave addonVersions.vpcCni unset so EKS chooses at creation.'],
    [{ addonVersions: { coreDns: 'latest' } },
      'addonVersions.coreDns is "latest", which is not an exact EKS add-on version (a literal vX.Y.Z-eksbuild.N). Fix: use a version listed by `aws eks describe-addon-versions --kubernetes-version 1.36 --addon-name coredns`, or leave addonVersions.coreDns unset so EKS chooses at creation.'],
    [{ addonVersions: { podIdentityAgent: '1.3.10-eksbuild.3' } },
      'addonVersions.podIdentityAgent is "1.3.10-eksbuild.3", which is not an exact EKS add-on version (a literal vX.Y.Z-eksbuild.N). Fix: use a version listed by `aws eks describe-addon-versions --kubernetes-version 1.36 --addon-name eks-pod-identity-agent`, or leave addonVersions.podIdentityAgent unset so EKS chooses at creation.'],
    [{ addonVersions: { kubeProxy: ' v1.36.0-eksbuild.21' } },
      'addonVersions.kubeProxy is " v1.36.0-eksbuild.21", which is not an exact EKS add-on version (a literal vX.Y.Z-eksbuild.N). Fix: use a version listed by `aws eks describe-addon-versions --kubernetes-version 1.36 --addon-name kube-proxy`, or leave addonVersions.kubeProxy unset so EKS chooses at creation.'],
    [{ addonVersions: { kubeProxy: '' } },
      'addonVersions.kubeProxy is "", which is not an exact EKS add-on version (a literal vX.Y.Z-eksbuild.N). Fix: use a version listed by `aws eks describe-addon-versions --kubernetes-version 1.36 --addon-name kube-proxy`, or leave addonVersions.kubeProxy unset so EKS chooses at creation.'],
    [{ addonVersions: { kubeproxy: 'v1.36.0-eksbuild.21' } },
      'addonVersions has the unknown key "kubeproxy". Fix: use only vpcCni, coreDns, kubeProxy, podIdentityAgent.'],
    [{ nodePool: { minSize: 3, desiredSize: 2 } }, 'nodePool sizes must satisfy 1 <= minSize <= desiredSize <= maxSize (got 3/2/6)'],
  ])('rejects %j', (props, message) => {
    expect(() => clusterStack(props as Partial<PlatformClusterProps>, 'Bad')).toThrow(`PlatformCluster Bad/Platform: ${message}`);
  });

  test('rejects an add-on version that is only known at deploy time (a token)', () => {
    const app = createTestApp();
    const stack = new Stack(app, 'Bad');
    const network = new ZeroTrustVpc(stack, 'Network', { cidr: '10.50.0.0/16' });
    const fromParameter = ssm.StringParameter.valueForStringParameter(stack, '/platform/vpc-cni-version');
    expect(() => new PlatformCluster(stack, 'Platform', {
      vpc: network.vpc,
      version: eks.KubernetesVersion.V1_36,
      kubectlLayer: new KubectlV36Layer(stack, 'KubectlLayer'),
      addonVersions: { vpcCni: fromParameter },
    })).toThrow(/^PlatformCluster Bad\/Platform: addonVersions\.vpcCni is a value only known at deploy time \(Ref of Bad\/SsmParameterValue:--platform--vpc-cni-version:C96584B6-F00A-464E-AD19-53AFF4B05118\.Parameter\)\. Fix: write the exact version literally \(vX\.Y\.Z-eksbuild\.N from `aws eks describe-addon-versions --kubernetes-version 1\.36 --addon-name vpc-cni`\), so it is reviewed in the template\.$/);
  });

  test('instance types are passed through', () => {
    const { stack } = clusterStack({ nodePool: { instanceTypes: [new ec2.InstanceType('m6i.xlarge')], minSize: 3 } }, 'Sized');
    Template.fromStack(stack).hasResourceProperties('AWS::EKS::Nodegroup', { InstanceTypes: ['m6i.xlarge'], ScalingConfig: { MinSize: 3, DesiredSize: 3, MaxSize: 6 } });
  });
});
