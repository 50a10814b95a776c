import * as fs from 'node:fs';
import * as path from 'node:path';
import { Fn, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ZeroTrustVpc } from '../../../constructs/network';
import { boundLogGroupNames, type KeyPolicyStatement } from '../../support/key-policy';
import { createTestApp, synthWithGate } from '../../support/test-app';

const REQUIRED_ENDPOINTS = ['ecr.api', 'ecr.dkr', 'sts', 'logs', 'monitoring', 'eks', 'eks-auth', 'ec2', 'elasticloadbalancing', 'kms', 'secretsmanager', 'aps-workspaces', 'lambda', 'xray'];

describe('ZeroTrustVpc', () => {
  let template: Template;
  let findings: ReturnType<typeof synthWithGate>['findings'];

  beforeAll(() => {
    // GIVEN a stack with the VPC, as the Network stack builds it
    const app = createTestApp();
    const stack = new Stack(app, 'Net');
    new ZeroTrustVpc(stack, 'Network', { cidr: '10.40.0.0/16', maxAzs: 3, natGateways: 2 });
    // WHEN synthesized through the compliance gate
    findings = synthWithGate(app).findings;
    template = Template.fromStack(stack);
  });

  const subnetsTagged = (name: string) =>
    Object.values(template.findResources('AWS::EC2::Subnet', { Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-name', Value: name }]) } }));

  test('passes the compliance gate with no open finding', () => {
    expect(findings).toEqual([]);
  });

  test('spreads three subnet tiers over the requested AZs', () => {
    expect(subnetsTagged('Ingress')).toHaveLength(3);
    expect(subnetsTagged('Workloads')).toHaveLength(3);
    expect(subnetsTagged('Data')).toHaveLength(3);
  });

  test('public subnets never assign public IPs on launch', () => {
    for (const subnet of subnetsTagged('Ingress')) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
  });

  test('no private or isolated subnet assigns public IPs', () => {
    for (const subnet of [...subnetsTagged('Workloads'), ...subnetsTagged('Data')]) {
      expect(subnet.Properties.MapPublicIpOnLaunch).not.toBe(true);
    }
  });

  test('only public subnets route to the internet gateway', () => {
    const igwRoutes = template.findResources('AWS::EC2::Route', { Properties: { GatewayId: Match.anyValue() } });
    expect(Object.keys(igwRoutes).length).toBe(3);
    for (const id of Object.keys(igwRoutes)) expect(id).toMatch(/IngressSubnet\d/);
  });

  test('isolated data subnets have no route out at all', () => {
    const routes = template.findResources('AWS::EC2::Route');
    expect(Object.keys(routes).filter((id) => /DataSubnet/.test(id))).toEqual([]);
  });

  test('honours the NAT gateway count', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  describe('without NAT gateways (natGateways: 0)', () => {
    const build = (natGateways: number) => {
      const stack = new Stack(createTestApp(), 'Net');
      new ZeroTrustVpc(stack, 'Network', { cidr: '10.40.0.0/16', maxAzs: 3, natGateways });
      return Template.fromStack(stack);
    };
    let withNat: Template;
    let withoutNat: Template;
    beforeAll(() => {
      withNat = build(3);
      withoutNat = build(0);
    });

    test('no NAT gateway, no Elastic IP, and the workload subnets have no default route: no route to the internet', () => {
      withoutNat.resourceCountIs('AWS::EC2::NatGateway', 0);
      withoutNat.resourceCountIs('AWS::EC2::EIP', 0);
      const defaultRoutes = withoutNat.findResources('AWS::EC2::Route', { Properties: { DestinationCidrBlock: '0.0.0.0/0' } });
      // Only the public Ingress subnets keep theirs (internet gateway, for load balancers).
      expect(Object.keys(defaultRoutes).sort()).toEqual([1, 2, 3].map((i) => expect.stringMatching(new RegExp(`^NetworkVpcIngressSubnet${i}DefaultRoute`))));
      for (const route of Object.values(defaultRoutes)) expect(route.Properties.GatewayId).toBeDefined();
      expect(Object.keys(withoutNat.findResources('AWS::EC2::Route', { Properties: { NatGatewayId: Match.anyValue() } }))).toEqual([]);
    });

    test('the workload subnets still reach S3 through the gateway endpoint and the AWS APIs through the interface endpoints', () => {
      const s3 = Object.values(withoutNat.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Gateway' } }));
      expect(s3).toHaveLength(1);
      const workloadTables = Object.entries(withoutNat.findResources('AWS::EC2::RouteTable')).filter(([id]) => /WorkloadsSubnet/.test(id)).map(([id]) => ({ Ref: id }));
      expect(s3[0].Properties.RouteTableIds).toEqual(expect.arrayContaining(workloadTables));
      expect(Object.keys(withoutNat.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }))).toHaveLength(REQUIRED_ENDPOINTS.length);
    });

    test('turning NAT off (or on) keeps every subnet, route table and association: same logical ids, same properties', () => {
      for (const type of ['AWS::EC2::Subnet', 'AWS::EC2::RouteTable', 'AWS::EC2::SubnetRouteTableAssociation', 'AWS::EC2::VPC', 'AWS::EC2::VPCEndpoint', 'AWS::EC2::SecurityGroup']) {
        const before = withNat.findResources(type);
        const after = withoutNat.findResources(type);
        expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
        expect(after).toEqual(before);
      }
      // What changes is only NAT: the gateways, their Elastic IPs and the workload subnets' default routes.
      const natOnly = (t: Template) => Object.keys(t.toJSON().Resources).filter((id) => !(id in withoutNat.toJSON().Resources)).sort();
      expect(natOnly(withNat).every((id) => /NATGateway|EIP|WorkloadsSubnet\dDefaultRoute/.test(id))).toBe(true);
      expect(natOnly(withNat)).toHaveLength(3 * 3);
    });
  });

  test('the flow-log key admits CloudWatch Logs for exactly the log groups it encrypts (flow logs, the VPC\'s custom-resource functions), each named', () => {
    // (before: the flow log group had a generated name and its key admitted every log group of the account)
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
    const keyId = Object.keys(template.findResources('AWS::KMS::Key')).find((id) => id.startsWith('NetworkFlowLogKey'))!;
    const statements = resources[keyId].Properties.KeyPolicy.Statement as KeyPolicyStatement[];
    const encrypted = Object.values(resources).filter((r) => r.Type === 'AWS::Logs::LogGroup' && r.Properties.KmsKeyId?.['Fn::GetAtt']?.[0] === keyId);
    expect(boundLogGroupNames(statements).sort()).toEqual(encrypted.map((g) => g.Properties.LogGroupName as string).sort());
    const flowLog = Object.values(template.findResources('AWS::EC2::FlowLog'))[0];
    expect(resources[flowLog.Properties.LogGroupName.Ref].Properties.LogGroupName).toMatch(/^\/aws\/vpc\/flowlogs\/Net-Network-[0-9A-F]{8}$/);
  });

  test('the function of aws-cdk-lib\'s Custom::VpcRestrictDefaultSG provider logs to a log group of the stack, encrypted with the flow-log key, kept a year', () => {
    // (before: it had no LoggingConfig, so Lambda made /aws/lambda/<function> on first use: no key, kept forever)
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
    const handler = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('CustomVpcRestrictDefaultSGCustomResourceProviderHandler'))![1];
    const group = resources[handler.Properties.LoggingConfig.LogGroup.Ref];
    expect(group).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^NetworkFlowLogKey/), 'Arn'] } } });
  });

  test('flow logs capture all traffic into a KMS-encrypted log group kept for a year', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', ResourceType: 'VPC' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  test('flow log storage is retained when the stack goes', () => {
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  test('the flow log key rotates and refuses grants that are not for AWS resources', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Effect: 'Deny',
        Action: 'kms:CreateGrant',
        Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      })]) },
    });
  });

  test('the flow log role has no inline policy and writes to its log group only', () => {
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('FlowLogGroup'), 'Arn'] },
      })] },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({
        Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
        Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
      })] },
    });
  });

  test('the default security group is stripped of its rules', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });

  test('the handler that strips them may change rules of the VPC default security group only', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role')).filter((r) => JSON.stringify(r.Properties.Policies ?? []).includes('SecurityGroup'));
    expect(roles).toHaveLength(1);
    const statements = roles[0].Properties.Policies.flatMap((p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement);
    expect(statements).toEqual([{
      Effect: 'Allow',
      Action: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress', 'ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress'],
      Resource: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':security-group/', { 'Fn::GetAtt': [expect.stringMatching(/^NetworkVpc[0-9A-F]{8}$/), 'DefaultSecurityGroup'] }]] }],
    }]);
  });

  test('S3 is reached through a gateway endpoint', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
    });
  });

  test.each(REQUIRED_ENDPOINTS)('has a private-DNS interface endpoint for %s', (service) => {
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }));
    const match = endpoints.filter((e) => JSON.stringify(e.Properties.ServiceName).endsWith(`.${service}"]]}`));
    expect(match).toHaveLength(1);
    expect(match[0].Properties.PrivateDnsEnabled).toBe(true);
  });

  test('X-Ray (the trace collector\'s exporter) is reached through an interface endpoint: private DNS, workload subnets, the endpoint security group', () => {
    const stack = new Stack(createTestApp(), 'Traces');
    const network = new ZeroTrustVpc(stack, 'Network');
    const xray = network.interfaceEndpoints.XRay;
    expect(xray).toBeDefined();
    const endpoint = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(xray.node.defaultChild as ec2.CfnVPCEndpoint)];
    expect(endpoint.Properties).toMatchObject({
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.xray']] },
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(/^NetworkEndpointSecurityGroup/), 'GroupId'] }],
    });
    const workloadSubnets = network.vpc.selectSubnets({ subnetGroupName: 'Workloads' }).subnetIds.map((id) => stack.resolve(id));
    expect(endpoint.Properties.SubnetIds).toEqual(workloadSubnets);
  });

  test('endpoint security group admits HTTPS from the VPC CIDR only, and nothing leaves it', () => {
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('VPC interface endpoints') } }));
    expect(groups).toHaveLength(1);
    expect(groups[0].Properties.SecurityGroupIngress).toEqual([
      { CidrIp: '10.40.0.0/16', Description: 'HTTPS from the VPC', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 },
    ]);
    // CDK's marker rule for "no egress": a single rule matching no traffic.
    expect(groups[0].Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' }),
    ]);
  });

  test('tags subnets for internet-facing and internal load balancers', () => {
    for (const s of subnetsTagged('Ingress')) expect(s.Properties.Tags).toContainEqual({ Key: 'kubernetes.io/role/elb', Value: '1' });
    for (const s of subnetsTagged('Workloads')) expect(s.Properties.Tags).toContainEqual({ Key: 'kubernetes.io/role/internal-elb', Value: '1' });
  });

  test('selects AZs without a lookup when the stack has no region', () => {
    const azs = subnetsTagged('Workloads').map((s) => s.Properties.AvailabilityZone);
    expect(azs).toEqual([0, 1, 2].map((i) => ({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] })));
  });

  test('uses explicit AZ names when given', () => {
    const stack = new Stack(createTestApp(), 'Pinned', { env: { account: '123456789012', region: 'eu-west-1' } });
    new ZeroTrustVpc(stack, 'Network', { availabilityZones: ['eu-west-1a', 'eu-west-1b'], natGateways: 1 });
    const azs = Object.values(Template.fromStack(stack).findResources('AWS::EC2::Subnet')).map((s) => s.Properties.AvailabilityZone);
    expect(new Set(azs)).toEqual(new Set(['eu-west-1a', 'eu-west-1b']));
  });

  test('explicit AZ names in a stack with a concrete account and region: nothing is looked up, no context seeded', () => {
    // GIVEN an app with no availability-zones context at all (and CloudFormation validation on)
    const app = createTestApp({ builtinValidation: true });
    const stack = new Stack(app, 'Pinned', { env: { account: '123456789012', region: 'eu-west-1' } });
    new ZeroTrustVpc(stack, 'Network', { availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'], natGateways: 1 });
    // WHEN synthesized THEN the assembly asks for no context (the CLI would look it up with credentials)
    const { assemblyDirectory, findings } = synthWithGate(app);
    expect(JSON.parse(fs.readFileSync(path.join(assemblyDirectory, 'manifest.json'), 'utf8')).missing ?? []).toEqual([]);
    // and the literal zone names (cfn-lint W3010) are acknowledged on the subnets by the library's registry, with its reason
    expect(findings).toEqual([]);
    expect(app.node.tryGetContext('availability-zones:account=123456789012:region=eu-west-1')).toBeUndefined();
    // and the stack's own availabilityZones property is left as aws-cdk-lib defines it
    expect(Object.getOwnPropertyDescriptor(stack, 'availabilityZones')).toBeUndefined();
  });

  test('maxAzs in a stack with a concrete account and region resolves the zones at deploy time, without a lookup', () => {
    const app = createTestApp();
    const stack = new Stack(app, 'Regional', { env: { account: '123456789012', region: 'eu-west-1' } });
    new ZeroTrustVpc(stack, 'Network', { maxAzs: 3, natGateways: 1 });
    expect(app.synth().manifest.missing ?? []).toEqual([]);
    const azs = Object.values(Template.fromStack(stack).findResources('AWS::EC2::Subnet', { Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-name', Value: 'Data' }]) } }))
      .map((s) => s.Properties.AvailabilityZone);
    expect(azs).toEqual([0, 1, 2].map((i) => ({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] })));
  });

  test('an additional endpoint the platform list already has (Lambda) is not added twice', () => {
    const stack = new Stack(createTestApp(), 'Extra');
    new ZeroTrustVpc(stack, 'Network', { additionalInterfaceEndpoints: [ec2.InterfaceVpcEndpointAwsService.LAMBDA, ec2.InterfaceVpcEndpointAwsService.SSM] });
    const services = Object.values(Template.fromStack(stack).findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }))
      .map((e) => JSON.stringify(e.Properties.ServiceName));
    expect(services.filter((name) => name.endsWith('.lambda"]]}'))).toHaveLength(1);
    expect(services.filter((name) => name.endsWith('.ssm"]]}'))).toHaveLength(1);
  });

  test('exposes the endpoints a security group names instead of 0.0.0.0/0: its endpoint security group and the S3 prefix list', () => {
    const stack = new Stack(createTestApp(), 'Endpoints');
    const network = new ZeroTrustVpc(stack, 'Network');
    expect(ZeroTrustVpc.apiEndpointsOf(network.vpc)).toBe(network);
    expect(network.s3PrefixList.prefixListId).toEqual(expect.any(String));
    expect(stack.resolve(network.s3PrefixList.prefixListId)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^NetworkS3PrefixListLookup/), 'PrefixLists.0.PrefixListId'] });
    // A VPC the ZeroTrustVpc did not build has no known endpoints.
    expect(ZeroTrustVpc.apiEndpointsOf(new ec2.Vpc(stack, 'Other', { natGateways: 0 }))).toBeUndefined();
  });

  test('exposes the endpoint security group as connections', () => {
    const stack = new Stack(createTestApp(), 'Conn');
    const network = new ZeroTrustVpc(stack, 'Network');
    expect(network.connections.securityGroups).toEqual([network.endpointSecurityGroup]);
    expect(network.vpc).toBeInstanceOf(ec2.Vpc);
  });

  test.each([
    [{ cidr: '8.8.0.0/16' }, 'cidr "8.8.0.0/16" is not an RFC 1918 range. Fix: use e.g. "10.0.0.0/16".'],
    [{ cidr: Fn.importValue('shared-vpc-cidr') }, 'cidr is a value only known at deploy time ({"Fn::ImportValue":"shared-vpc-cidr"}), but must be a literal. Fix: pass the CIDR string, e.g. "10.0.0.0/16".'],
    [{ cidr: '10.0.0.0/24' }, 'cidr "10.0.0.0/24" must have a prefix from /16 to /20 (got /24)'],
    [{ maxAzs: 1 }, 'needs 2 to 4 Availability Zones (got 1)'],
    [{ maxAzs: 2, natGateways: 3 }, 'natGateways must be a whole number from 0 to 2, the number of Availability Zones (got 3). Fix: 0 for no route to the internet (AWS APIs through the VPC endpoints), or one NAT gateway per AZ where workloads need the internet.'],
    [{ maxAzs: 2, natGateways: -1 }, 'natGateways must be a whole number from 0 to 2, the number of Availability Zones (got -1).'],
    [{ maxAzs: 3, natGateways: 1.5 }, 'natGateways must be a whole number from 0 to 3, the number of Availability Zones (got 1.5).'],
    [{ maxAzs: 2, availabilityZones: ['a', 'b'] }, 'give availabilityZones or maxAzs, not both.'],
  ])('rejects %j', (props, message) => {
    const stack = new Stack(createTestApp(), 'Bad');
    expect(() => new ZeroTrustVpc(stack, 'Network', props)).toThrow(`ZeroTrustVpc Bad/Network: ${message}`);
  });
});
