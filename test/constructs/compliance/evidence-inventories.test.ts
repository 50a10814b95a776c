import type { EvidenceEnvironment, EvidenceStack } from '../../../constructs/compliance/evidence/assembly';
import { readEnvironments } from '../../../constructs/compliance/evidence/assembly';
import { environmentDifferences, environmentDifferencesMarkdown, type EnvironmentDifferences } from '../../../constructs/compliance/evidence/differences';
import {
  iamWildcards,
  iamWildcardsMarkdown,
  kmsKeys,
  kmsKeysMarkdown,
  networkPaths,
  networkPathsMarkdown,
  type IamWildcardInventory,
  type KmsKeyInventory,
  type NetworkPathInventory,
  type WildcardJustification,
} from '../../../constructs/compliance/evidence/inventories';
import { buildPlatformApp } from '../../../lib/platform-app';
import { createTestApp } from '../../support/test-app';
import { DEV_AND_PROD } from '../../support/platform-contexts';

/**
 * The inventories a security reviewer reads (IAM wildcards, network paths, KMS keys) and the
 * dev-vs-prod differences, on the platform synthesized for dev and prod as the pipeline deploys it
 * (without the gate: these read templates only), plus the edge cases on hand-made templates.
 */
const LOAD_BALANCER_CONTROLLER_POLICY = 'Prod/Cluster/Mesh/LoadBalancerController/Policy/Resource';
const REASON = 'The controller creates and tags load balancers and security groups whose ARNs are not known before it runs.';

describe('the inventories of the platform (dev and prod)', () => {
  let dev: EvidenceEnvironment;
  let prod: EvidenceEnvironment;
  let iam: IamWildcardInventory;
  let network: NetworkPathInventory;
  let keys: KmsKeyInventory;
  let differences: EnvironmentDifferences;

  beforeAll(() => {
    // GIVEN the platform synthesized for dev and prod
    const app = createTestApp({ context: DEV_AND_PROD });
    buildPlatformApp(app, { complianceGate: false });
    const environments = readEnvironments(app.synth().directory);
    dev = environments.find((e) => e.name === 'Dev')!;
    prod = environments.find((e) => e.name === 'Prod')!;
    const controllerPolicy = prod.stacks.flatMap((s) => s.resources).find((r) => r.constructPath === LOAD_BALANCER_CONTROLLER_POLICY)!;
    const justifications: WildcardJustification[] = [
      { templateFile: controllerPolicy.templateFile, logicalId: controllerPolicy.logicalId, ruleId: 'AwsSolutions-IAM5[Resource::*]', reason: REASON },
    ];
    // WHEN the inventories are taken
    iam = iamWildcards(prod, justifications);
    network = networkPaths(prod);
    keys = kmsKeys(prod);
    differences = environmentDifferences(dev, prod);
  });

  test('are plain JSON', () => {
    for (const inventory of [iam, network, keys, differences]) expect(JSON.parse(JSON.stringify(inventory))).toEqual(inventory);
  });

  describe('IAM wildcards', () => {
    const controllerStatements = () => iam.statements.filter((s) => s.resource.constructPath === LOAD_BALANCER_CONTROLLER_POLICY);

    test('list the Load Balancer Controller statements on Resource "*", attached to its role, with the recorded justification', () => {
      const onAll = controllerStatements().filter((s) => s.resources.includes('*'));
      expect(onAll.map((s) => s.statement)).toEqual(expect.arrayContaining(['CreateElbServiceLinkedRole', 'DescribeNetworkAndLoadBalancers', 'CreateSecurityGroup', 'ModifyListenersAndRules']));
      for (const statement of onAll) {
        expect(statement).toMatchObject({ effect: 'Allow', policyKind: 'identity', resource: { type: 'AWS::IAM::ManagedPolicy', stack: 'ztp-prod-cluster' } });
        expect(statement.wildcards).toContain('Resource *');
        expect(statement.attachedTo).toEqual([expect.stringMatching(/^ztp-prod-cluster\/MeshLoadBalancerControllerRole/)]);
        expect(statement.justifications).toEqual([{ ruleId: 'AwsSolutions-IAM5[Resource::*]', reason: REASON }]);
      }
      expect(onAll.find((s) => s.statement === 'CreateElbServiceLinkedRole')!.conditions).toEqual(['StringEquals iam:AWSServiceName = elasticloadbalancing.amazonaws.com']);
    });

    test('a statement whose wildcard no justification names is listed as unjustified, with its ARN pattern rendered', () => {
      const tagging = controllerStatements().find((s) => s.statement === 'TagNewSecurityGroup')!;
      expect(tagging.resources).toEqual(['arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:security-group/*']);
      expect(tagging.justifications).toEqual([]);
      const markdown = iamWildcardsMarkdown(iam);
      expect(markdown).toContain(REASON);
      expect(markdown).toMatch(/\| TagNewSecurityGroup \|.*\*\*no justification recorded\*\*/);
      expect(iam.unjustified).toBe(iam.statements.filter((s) => s.justifications.length === 0).length);
    });

    test('renders Fn::GetAtt and Fn::Join readably (the kubectl provider may invoke any version of its handler)', () => {
      const invoke = iam.statements.find((s) => s.actions.includes('lambda:InvokeFunction') && s.resource.stack === 'ztp-prod-cluster')!;
      expect(invoke.resources).toEqual([expect.stringMatching(/^<PlatformClusterKubectlProviderHandler\w+\.Arn>$/), expect.stringMatching(/^<PlatformClusterKubectlProviderHandler\w+\.Arn>:\*$/)]);
    });

    test('include key policies, with the wildcard principal of the deny-grants guard marked as a Deny', () => {
      const guards = iam.statements.filter((s) => s.statement === 'DenyGrantsExceptForAwsResources');
      expect(guards.length).toBe(prod.stacks.flatMap((s) => s.resources).filter((r) => r.type === 'AWS::KMS::Key').length);
      for (const guard of guards) {
        expect(guard).toMatchObject({ effect: 'Deny', policyKind: 'resource', principals: ['AWS *'] });
        expect(guard.wildcards).toContain('Principal *');
        expect(guard.notes.join(' ')).toContain('grant nothing');
      }
    });

    test('list the AWS managed policies attached to roles, with their documentation', () => {
      expect(iam.awsManagedPolicies).toContainEqual(expect.objectContaining({
        policyArn: 'arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy',
        documentation: 'https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEKSClusterPolicy.html',
      }));
    });
  });

  describe('network paths', () => {
    test('the public subnets route 0.0.0.0/0 to the internet gateway, the workload subnets to NAT gateways, one per AZ in prod', () => {
      const defaults = network.routes.filter((r) => r.destination === '0.0.0.0/0');
      expect(defaults.filter((r) => r.targetKind === 'internet gateway')).toHaveLength(3);
      const nat = defaults.filter((r) => r.targetKind === 'NAT gateway');
      expect(nat).toHaveLength(3);
      expect(new Set(nat.map((r) => r.target)).size).toBe(3);
      expect(nat.every((r) => r.subnets.length === 1 && /WorkloadsSubnet/.test(r.subnets[0]))).toBe(true);
      expect(network.gateways.filter((g) => g.kind === 'NAT gateway')).toHaveLength(3);
      expect(network.gateways.filter((g) => g.kind === 'internet gateway')).toEqual([expect.objectContaining({ placement: expect.stringMatching(/^VPC ztp-prod-network\/NetworkVpc/) })]);
      // the data subnets have no route out of the VPC
      expect(network.routes.some((r) => r.subnets.some((s) => /DataSubnet/.test(s)))).toBe(false);
    });

    test('the data security groups admit no traffic from, and send none to, 0.0.0.0/0 or ::/0', () => {
      const data = network.securityGroupRules.filter((r) => /\/(PostgresSecurityGroup|CacheSecurityGroup)/.test(r.group));
      expect(data.filter((r) => r.direction === 'ingress').length).toBeGreaterThan(0);
      expect(data.filter((r) => r.peer === '0.0.0.0/0' || r.peer === '::/0' || r.flags.some((f) => f.startsWith('internet')))).toEqual([]);
      for (const group of network.securityGroups.filter((g) => /\/(PostgresSecurityGroup|CacheSecurityGroup)/.test(g.group))) {
        expect(group.egress).toBe('none (CDK placeholder rule only)');
      }
      // the workload pods reach them through the EKS cluster security group, on their port only
      expect(data.filter((r) => r.direction === 'ingress' && r.peer.startsWith('EKS cluster security group')).map((r) => r.ports).sort()).toEqual(['5432', '6380']);
    });

    test('flags egress to the internet and ingress from the whole VPC range', () => {
      expect(network.securityGroupRules).toContainEqual(expect.objectContaining({
        group: expect.stringMatching(/\/PlatformKubectlSecurityGroup/), direction: 'egress', peer: '0.0.0.0/0', ports: '443', flags: ['internet (0.0.0.0/0)'],
      }));
      expect(network.securityGroupRules).toContainEqual(expect.objectContaining({
        group: expect.stringMatching(/\/NetworkEndpointSecurityGroup/), direction: 'ingress', peer: '10.30.0.0/16', flags: ['whole VPC range'],
      }));
      expect(network.notes.join(' ')).toContain('EKS creates the cluster security group');
      expect(networkPathsMarkdown(network)).toContain('**internet (0.0.0.0/0)**');
    });

    test('lists the VPC endpoints with their service, type and policy', () => {
      expect(network.vpcEndpoints).toContainEqual(expect.objectContaining({ endpointType: 'Gateway', service: 'com.amazonaws.<AWS::Region>.s3' }));
      const interfaces = network.vpcEndpoints.filter((e) => e.endpointType === 'Interface');
      expect(interfaces.map((e) => e.service)).toEqual(expect.arrayContaining(['com.amazonaws.eu-west-1.sts', 'com.amazonaws.eu-west-1.kms', 'com.amazonaws.eu-west-1.ecr.api']));
      for (const endpoint of interfaces) expect(endpoint).toMatchObject({ privateDns: 'enabled', securityGroups: [expect.stringMatching(/\/NetworkEndpointSecurityGroup/)] });
      for (const endpoint of network.vpcEndpoints) expect(typeof endpoint.hasPolicy).toBe('boolean');
    });
  });

  describe('KMS keys', () => {
    test('every key is listed, rotates, and is used by something', () => {
      const declared = prod.stacks.flatMap((s) => s.resources).filter((r) => r.type === 'AWS::KMS::Key').map((r) => r.logicalId).sort();
      expect(keys.keys.map((k) => k.key.logicalId).sort()).toEqual(declared);
      for (const key of keys.keys) {
        expect(key).toMatchObject({ rotation: true, keySpec: 'SYMMETRIC_DEFAULT', deletionPolicy: 'Retain' });
        expect(key.usedBy.length).toBeGreaterThan(0);
      }
    });

    test('the Aurora cluster uses its storage key and its secret key; the bootstrap handler may decrypt the secret through Secrets Manager only', () => {
      const storage = keys.keys.find((k) => k.key.constructPath === 'Prod/Data/Postgres/StorageKey/Resource')!;
      expect(storage.usedBy).toEqual(expect.arrayContaining([
        expect.objectContaining({ resource: expect.objectContaining({ type: 'AWS::RDS::DBCluster' }), property: 'KmsKeyId' }),
        expect.objectContaining({ resource: expect.objectContaining({ type: 'AWS::RDS::DBCluster' }), property: 'PerformanceInsightsKmsKeyId' }),
      ]));
      const secret = keys.keys.find((k) => k.key.constructPath === 'Prod/Data/Postgres/SecretKey/Resource')!;
      expect(secret.usedBy).toContainEqual(expect.objectContaining({ property: 'MasterUserSecret.KmsKeyId' }));
      expect(secret.iamGrants).toEqual([expect.objectContaining({
        actions: ['kms:Decrypt'], scope: 'this key', effect: 'Allow',
        conditions: [expect.stringMatching(/^StringEquals kms:ViaService = secretsmanager\.eu-west-1\./)],
        attachedTo: [expect.stringMatching(/^ztp-prod-data\/PostgresBootstrapHandlerRole/)],
      })]);
    });

    test('the key policy says who administers and who uses each key, with its conditions', () => {
      const flowLogs = keys.keys.find((k) => k.key.constructPath === 'Prod/Network/Network/FlowLogKey/Resource')!;
      expect(flowLogs.keyPolicy).toEqual(expect.arrayContaining([
        expect.objectContaining({ principals: ['AWS arn:<AWS::Partition>:iam::123456789012:root'], access: 'administer and use' }),
        expect.objectContaining({
          principals: ['Service logs.eu-west-1.amazonaws.com'], access: 'use',
          conditions: [expect.stringMatching(/^ArnLike kms:EncryptionContext:aws:logs:arn = /)],
        }),
      ]));
      const markdown = kmsKeysMarkdown(keys);
      expect(markdown).toContain('account 123456789012 (its IAM policies decide)');
      expect(markdown).toMatch(/### ztp-prod-data \/ PostgresStorageKey/);
    });
  });

  describe('dev vs prod', () => {
    const changed = (constructPath: string, property: string) =>
      differences.changed.find((c) => c.b.constructPath === constructPath)?.differences.find((d) => d.property === property);

    test('prod has a third AZ (subnets, NAT gateways) and a second Aurora reader', () => {
      const onlyInProd = differences.onlyInB.map((r) => r.constructPath);
      expect(onlyInProd).toEqual(expect.arrayContaining([
        'Prod/Network/Network/Vpc/WorkloadsSubnet3/Subnet',
        'Prod/Network/Network/Vpc/DataSubnet3/Subnet',
        'Prod/Network/Network/Vpc/IngressSubnet2/NATGateway',
        'Prod/Network/Network/Vpc/IngressSubnet3/NATGateway',
        'Prod/Data/Postgres/Cluster/Reader2/Resource',
      ]));
    });

    test('prod keeps its data (Retain) and keeps backups and logs longer', () => {
      expect(changed('Prod/Data/Postgres/Cluster/Resource', '(DeletionPolicy)')).toEqual({ property: '(DeletionPolicy)', a: 'Delete', b: 'Retain' });
      expect(changed('Prod/Data/Postgres/Cluster/Resource', 'BackupRetentionPeriod')).toEqual({ property: 'BackupRetentionPeriod', a: '7', b: '35' });
      expect(changed('Prod/Network/Network/FlowLogGroup/Resource', 'RetentionInDays')).toEqual({ property: 'RetentionInDays', a: '365', b: '731' });
      expect(changed('Prod/Data/Cache/Resource', 'CacheNodeType')).toEqual({ property: 'CacheNodeType', a: 'cache.t4g.small', b: 'cache.r7g.large' });
      expect(environmentDifferencesMarkdown(differences)).toContain('| `BackupRetentionPeriod` | `7` | `35` |');
    });

    test('prod is pinned to its account and region; dev is environment-agnostic', () => {
      expect(differences.stacks.length).toBe(5);
      for (const stack of differences.stacks) {
        expect(stack.a).toMatchObject({ account: 'not pinned (environment-agnostic)', region: 'not pinned (environment-agnostic)' });
        expect(stack.b).toMatchObject({ account: '123456789012', region: 'eu-west-1' });
      }
    });

    test('names that only say which environment it is are not differences', () => {
      const properties = differences.changed.flatMap((c) => c.differences.map((d) => d.property));
      expect(properties.filter((p) => /LogGroupName|^Alias$|PruneLabel|prune-|Code\.S3Bucket|^Description$/.test(p))).toEqual([]);
      expect(differences.tags).toContainEqual({ property: 'data-classification', a: 'internal', b: 'restricted' });
    });
  });
});

describe('the inventories on hand-made templates', () => {
  /** One environment with one stack of the given resources. */
  const environment = (resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }>, name = 'Test'): EvidenceEnvironment => {
    const stack: EvidenceStack = {
      stackName: `ztp-${name.toLowerCase()}-stack`,
      artifactId: `${name}Stack`,
      templateFile: `assembly-${name}/${name}Stack.template.json`,
      sha256: '',
      template: { Resources: resources },
      resources: Object.entries(resources).map(([logicalId, r]) => ({
        stack: `ztp-${name.toLowerCase()}-stack`, templateFile: `assembly-${name}/${name}Stack.template.json`, logicalId, type: r.Type,
        constructPath: `${name}/Stack/${logicalId}/Resource`, properties: r.Properties ?? {},
      })),
    };
    return { name, stacks: [stack] };
  };

  test('a security group that declares no egress keeps CloudFormation\'s allow-all egress, flagged', () => {
    const inventory = networkPaths(environment({
      Group: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'no egress declared', SecurityGroupIngress: [{ CidrIp: '10.0.0.0/8', IpProtocol: 'tcp', FromPort: 22, ToPort: 22 }] } },
    }));
    expect(inventory.securityGroupRules).toEqual([
      expect.objectContaining({ direction: 'ingress', peer: '10.0.0.0/8', ports: '22', flags: ['/8: a whole VPC range or wider'] }),
      expect.objectContaining({ direction: 'egress', origin: 'CloudFormation default', peer: '0.0.0.0/0', protocol: 'all', flags: ['internet (0.0.0.0/0)', 'all ports'] }),
    ]);
    expect(inventory.securityGroups[0].egress).toBe('CloudFormation default: all traffic to 0.0.0.0/0');
  });

  test.each([
    ['the finding names the action', 'AwsSolutions-IAM5[Action::s3:Get*]', ['Get']],
    ['the finding names the resource', 'AwsSolutions-IAM5[Resource::<Bucket.Arn>/*]', ['Get']],
    ['the finding names another resource', 'AwsSolutions-IAM5[Resource::*]', ['List']],
    ['the rule names no finding', 'AwsSolutions-IAM5', ['Get', 'List']],
  ])('a justification applies to the statements with its wildcard: %s', (_, ruleId, justified) => {
    const inventory = iamWildcards(environment({
      Policy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'Role' }],
          PolicyDocument: {
            Statement: [
              { Sid: 'Get', Effect: 'Allow', Action: 's3:Get*', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/*']] } },
              { Sid: 'List', Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' },
              { Sid: 'Named', Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::GetAtt': ['Bucket', 'Arn'] } },
            ],
          },
        },
      },
      Role: { Type: 'AWS::IAM::Role', Properties: {} },
      Bucket: { Type: 'AWS::S3::Bucket' },
    }), [{ templateFile: 'assembly-Test/TestStack.template.json', logicalId: 'Policy', ruleId, reason: 'because' }]);
    expect(inventory.statements.map((s) => s.statement)).toEqual(['Get', 'List']);
    expect(inventory.statements.filter((s) => s.justifications.length > 0).map((s) => s.statement)).toEqual(justified);
    expect(inventory.statements[0]).toMatchObject({ resources: ['<Bucket.Arn>/*'], attachedTo: ['ztp-test-stack/Role'], wildcards: ['Action s3:Get*', 'Resource <Bucket.Arn>/*'] });
  });

  test('a resource policy open to any principal, and a NotAction statement, are listed', () => {
    const inventory = iamWildcards(environment({
      BucketPolicy: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: {
          Bucket: { Ref: 'Bucket' },
          PolicyDocument: { Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: { 'Fn::Sub': '${Bucket.Arn}/public/report.pdf' } }] },
        },
      },
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: { Policies: [{ PolicyName: 'everything-but-iam', PolicyDocument: { Statement: [{ Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:s3:::x' }] } }] },
      },
      Bucket: { Type: 'AWS::S3::Bucket' },
    }));
    expect(inventory.statements).toEqual([
      expect.objectContaining({ policy: 'bucket policy', principals: ['*'], resources: ['${Bucket.Arn}/public/report.pdf'], wildcards: ['Principal *'] }),
      expect.objectContaining({ policy: 'inline policy everything-but-iam', notActions: ['iam:*'], wildcards: ['NotAction'], attachedTo: ['ztp-test-stack/Role'] }),
    ]);
    expect(iamWildcardsMarkdown(inventory)).toContain('every action except `iam:*`');
  });

  test('a key without rotation, and its alias, are shown', () => {
    const inventory = kmsKeys(environment({
      Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:role/admin' }, Action: ['kms:Create*', 'kms:Describe*', 'kms:Put*'], Resource: '*' }] } } },
      Alias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'alias/app', TargetKeyId: { Ref: 'Key' } } },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { KmsMasterKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] } } },
    }));
    expect(inventory.keys).toEqual([expect.objectContaining({
      rotation: false, aliases: ['alias/app'], deletionPolicy: 'Delete',
      keyPolicy: [expect.objectContaining({ access: 'administer and use' })],
      usedBy: [expect.objectContaining({ resource: expect.objectContaining({ logicalId: 'Queue' }), property: 'KmsMasterKeyId' })],
    })]);
    expect(kmsKeysMarkdown(inventory)).toContain('**off**');
  });
});
