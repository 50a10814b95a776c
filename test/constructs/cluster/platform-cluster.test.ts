import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { PINNED_ADDON_VERSIONS, PlatformCluster, type PlatformClusterProps } from '../../../constructs/cluster';
import { ZeroTrustVpc } from '../../../constructs/network';
import { createTestApp, synthWithGate } from '../../support/test-app';

/** Matches an Fn::Join whose literal parts contain `text`. */
const joinContaining = (text: string) => Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp(text)])]) });

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
      AssumeRolePolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sts:AssumeRole', Principal: { Service: 'pods.eks.amazonaws.com' } })]) },
      ManagedPolicyArns: [joinContaining('AmazonEKS_CNI_Policy')],
    });
  });

  test('the Pod Identity agent is installed', () => {
    template.hasResourceProperties('AWS::EKS::Addon', { AddonName: 'eks-pod-identity-agent' });
  });

  test.each(Object.entries(PINNED_ADDON_VERSIONS['1.36']))('add-on %s is pinned to %s', (_key, version) => {
    template.hasResourceProperties('AWS::EKS::Addon', { AddonVersion: version });
  });

  test('no self-managed add-ons: networking comes only from the pinned managed add-ons', () => {
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

  test.each([
    [{ publicEndpointAllowedCidrs: ['0.0.0.0/0'] }, 'publicEndpointAllowedCidrs has "0.0.0.0/0", which opens the API server to too wide a range (wider than /16)'],
    [{ publicEndpointAllowedCidrs: ['example.com'] }, 'publicEndpointAllowedCidrs has "example.com", which is not an IPv4 CIDR'],
    [{ version: eks.KubernetesVersion.V1_30 }, 'no pinned add-on versions for Kubernetes 1.30. Fix: pass addonVersions or add a row to PINNED_ADDON_VERSIONS (known: 1.36).'],
    [{ addonVersions: { ...PINNED_ADDON_VERSIONS['1.36'], kubeProxy: 'v1.33.0-eksbuild.1' } }, 'kube-proxy add-on v1.33.0-eksbuild.1 does not match Kubernetes 1.36'],
    [{ nodePool: { minSize: 3, desiredSize: 2 } }, 'nodePool sizes must satisfy 1 <= minSize <= desiredSize <= maxSize (got 3/2/6)'],
  ])('rejects %j', (props, message) => {
    expect(() => clusterStack(props as Partial<PlatformClusterProps>, 'Bad')).toThrow(`PlatformCluster Bad/Platform: ${message}`);
  });

  test('instance types are passed through', () => {
    const { stack } = clusterStack({ nodePool: { instanceTypes: [new ec2.InstanceType('m6i.xlarge')], minSize: 3 } }, 'Sized');
    Template.fromStack(stack).hasResourceProperties('AWS::EKS::Nodegroup', { InstanceTypes: ['m6i.xlarge'], ScalingConfig: { MinSize: 3, DesiredSize: 3, MaxSize: 6 } });
  });
});
