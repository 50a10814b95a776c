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
      // (CreateSecurityGroup and ManageNodeSecurityGroupIngress name the cluster's VPC and security groups instead)
      expect(onAll.map((s) => s.statement)).toEqual(expect.arrayContaining(['CreateElbServiceLinkedRole', 'DescribeNetworkAndLoadBalancers', 'ManageOwnSecurityGroups', 'ModifyListenersAndRules']));
      expect(onAll.map((s) => s.statement)).not.toContain('ManageNodeSecurityGroupIngress');
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
    test('prod: only the public subnets route 0.0.0.0/0 (to the internet gateway); no NAT gateway, so the workload and data subnets have no route out (ADR 0020)', () => {
      // (before: three NAT gateways and a default route to one from each workload subnet)
      const defaults = network.routes.filter((r) => r.destination === '0.0.0.0/0');
      expect(defaults.filter((r) => r.targetKind === 'internet gateway')).toHaveLength(3);
      expect(defaults.every((r) => r.targetKind === 'internet gateway' && r.subnets.every((s) => /IngressSubnet/.test(s)))).toBe(true);
      expect(network.gateways.filter((g) => g.kind === 'NAT gateway')).toEqual([]);
      expect(network.gateways.filter((g) => g.kind === 'internet gateway')).toEqual([expect.objectContaining({ placement: expect.stringMatching(/^VPC ztp-prod-network\/NetworkVpc/) })]);
      expect(network.routes.some((r) => r.subnets.some((s) => /WorkloadsSubnet|DataSubnet/.test(s)))).toBe(false);
      expect(network.internetEgress.outboundRoutes).toEqual([]);
    });

    test('dev keeps one NAT gateway: its workload subnets route out through it, and the inventory lists those routes as internet egress', () => {
      const devPaths = networkPaths(dev);
      const nat = devPaths.routes.filter((r) => r.destination === '0.0.0.0/0' && r.targetKind === 'NAT gateway');
      expect(nat).toHaveLength(2);
      expect(new Set(nat.map((r) => r.target)).size).toBe(1);
      expect(nat.every((r) => r.subnets.length === 1 && /WorkloadsSubnet/.test(r.subnets[0]))).toBe(true);
      expect(devPaths.internetEgress.outboundRoutes).toHaveLength(2);
      expect(networkPathsMarkdown(devPaths)).toContain('- route: `ztp-dev-network/NetworkVpcWorkloadsSubnet1DefaultRoute');
    });

    test.each(['dev', 'prod'])('%s: no security group rule sends anything to 0.0.0.0/0 or ::/0 (kubectl handler, control plane, bootstrap provider, every other)', (name) => {
      // (before: the kubectl handler and the bootstrap provider on 443, the control plane on all ports)
      const paths = name === 'dev' ? networkPaths(dev) : network;
      expect(paths.internetEgress.securityGroupRules).toEqual([]);
      expect(paths.securityGroupRules.filter((r) => r.direction === 'egress' && r.flags.some((f) => f.startsWith('internet')))).toEqual([]);
      const kubectl = paths.securityGroupRules.filter((r) => /\/PlatformKubectlSecurityGroup/.test(r.group) && r.direction === 'egress');
      expect(kubectl.map((r) => `${r.peerKind}:${r.ports}`).sort()).toEqual(['prefix-list:443', 'security-group:443', 'security-group:443']);
    });

    test('prod: the Markdown says there is no internet egress', () => {
      expect(networkPathsMarkdown(network)).toContain('### Internet egress\n\nNone: no security group rule sends traffic to 0.0.0.0/0 or ::/0, and no subnet routes out through a NAT gateway');
    });

    test('the data security groups admit no traffic from, and send none to, 0.0.0.0/0 or ::/0', () => {
      const data = network.securityGroupRules.filter((r) => /\/(PostgresSecurityGroup|CacheSecurityGroup)/.test(r.group));
      expect(data.filter((r) => r.direction === 'ingress').length).toBeGreaterThan(0);
      expect(data.filter((r) => r.peer === '0.0.0.0/0' || r.peer === '::/0' || r.flags.some((f) => f.startsWith('internet')))).toEqual([]);
      for (const group of network.securityGroups.filter((g) => /\/(PostgresSecurityGroup|CacheSecurityGroup)/.test(g.group))) {
        expect(group.egress).toBe('none (CDK placeholder rule only)');
      }
      // (who reaches them, in dev and prod: the next test)
    });

    test.each(['dev', 'prod'])('%s: only the sample service\'s own pods reach the database and cache, never the EKS cluster security group; their group names every peer (ADR 0019)', (name) => {
      const paths = name === 'dev' ? networkPaths(dev) : network;
      const data = paths.securityGroupRules.filter((r) => /\/(PostgresSecurityGroup|CacheSecurityGroup)/.test(r.group) && r.direction === 'ingress');
      // the EKS cluster security group is every node's, the gateway's and every other pod's
      expect(data.filter((r) => r.peer.startsWith('EKS cluster security group'))).toEqual([]);
      expect(data.map((r) => `${r.group.replace(/[0-9A-F]{8}$/, '')} <- ${r.peer.replace(/[0-9A-F]{8}$/, '')}:${r.ports}`).sort()).toEqual([
        `ztp-${name}-data/CacheSecurityGroup <- ztp-${name}-workloads/SamplePodSecurityGroup:6380`,
        `ztp-${name}-data/PostgresSecurityGroup <- ztp-${name}-data/PostgresBootstrapSecurityGroup:5432`,
        `ztp-${name}-data/PostgresSecurityGroup <- ztp-${name}-workloads/SamplePodSecurityGroup:5432`,
      ]);
      // ...and every rule of that group names a security group: no CIDR, no 0.0.0.0/0
      const pods = paths.securityGroupRules.filter((r) => r.group.startsWith(`ztp-${name}-workloads/SamplePodSecurityGroup`));
      expect(pods.filter((r) => r.direction === 'egress').length).toBeGreaterThan(0);
      expect(pods.filter((r) => r.peerKind !== 'security-group')).toEqual([]);
      expect(paths.securityGroups.find((g) => g.group.startsWith(`ztp-${name}-workloads/SamplePodSecurityGroup`))!.egress).toMatch(/^standalone egress rules only/);
    });

    test('flags ingress from the whole VPC range (egress to the internet: the hand-made template below)', () => {
      expect(network.securityGroupRules).toContainEqual(expect.objectContaining({
        group: expect.stringMatching(/\/NetworkEndpointSecurityGroup/), direction: 'ingress', peer: '10.30.0.0/16', flags: ['whole VPC range'],
      }));
      expect(network.notes.join(' ')).toContain('EKS creates the cluster security group');
      expect(networkPathsMarkdown(network)).toContain('**whole VPC range**');
    });

    test('lists the VPC endpoints with their service, type and policy', () => {
      expect(network.vpcEndpoints).toContainEqual(expect.objectContaining({ endpointType: 'Gateway', service: 'com.amazonaws.<AWS::Region>.s3' }));
      const interfaces = network.vpcEndpoints.filter((e) => e.endpointType === 'Interface');
      expect(interfaces.map((e) => e.service)).toEqual(expect.arrayContaining(['com.amazonaws.eu-west-1.sts', 'com.amazonaws.eu-west-1.kms', 'com.amazonaws.eu-west-1.ecr.api']));
      for (const endpoint of interfaces) expect(endpoint).toMatchObject({ privateDns: 'enabled', securityGroups: [expect.stringMatching(/\/NetworkEndpointSecurityGroup/)] });
      for (const endpoint of network.vpcEndpoints) expect(typeof endpoint.hasPolicy).toBe('boolean');
    });
  });

  describe('data perimeter: VPC endpoint policies and Pod Identity trust (issue #22)', () => {
    const OWN = 'OwnPrincipalsToOwnResources (Allow): * on * if StringEquals aws:PrincipalAccount = 123456789012 and StringEquals aws:ResourceAccount = 123456789012';

    test('no VPC endpoint without a policy: each admits only this account\'s principals acting on this account\'s resources', () => {
      // (before: all 15 endpoints of prod had the default policy, "any principal, any action")
      expect(network.vpcEndpoints.length).toBeGreaterThanOrEqual(15);
      expect(network.vpcEndpoints.filter((e) => !e.hasPolicy)).toEqual([]);
      for (const endpoint of network.vpcEndpoints) expect(endpoint.policy[0]).toBe(OWN);
      expect(networkPathsMarkdown(network)).toContain(`${network.vpcEndpoints.length} VPC endpoint(s); 0 without a policy.`);
    });

    test('the only other statements admit named AWS-owned resources, for the actions the platform needs of them', () => {
      const extra = network.vpcEndpoints.flatMap((e) => e.policy.slice(1).map((line) => `${e.service}: ${line}`));
      const ecrPull = 'PullImagesOfEksAddonsAndTrustedRegistries (Allow): ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:BatchCheckLayerAvailability on '
        + 'arn:<AWS::Partition>:ecr:eu-west-1:602401143452:repository/* if StringEquals aws:PrincipalAccount = 123456789012';
      expect(extra.sort()).toEqual([
        'com.amazonaws.<AWS::Region>.s3: CloudFormationCustomResourceResponses (Allow): s3:PutObject on arn:<AWS::Partition>:s3:::cloudformation-custom-resource-response-euwest1/* unconditioned',
        'com.amazonaws.<AWS::Region>.s3: EcrImageLayers (Allow): s3:GetObject on arn:<AWS::Partition>:s3:::prod-eu-west-1-starport-layer-bucket/* unconditioned',
        `com.amazonaws.eu-west-1.ecr.api: ${ecrPull}`,
        `com.amazonaws.eu-west-1.ecr.dkr: ${ecrPull}`,
      ]);
    });

    test('every role EKS Pod Identity may assume is bound to this account, its cluster, its namespace and its service accounts', () => {
      const trusts = prod.stacks.flatMap((stack) => stack.resources)
        .filter((r) => r.type === 'AWS::IAM::Role' && JSON.stringify(r.properties.AssumeRolePolicyDocument).includes('pods.eks.amazonaws.com'));
      // VPC CNI, Load Balancer Controller, Argo Rollouts, metrics, traces, logs, the sample service
      expect(trusts.length).toBeGreaterThanOrEqual(7);
      for (const role of trusts) {
        const statements = (role.properties.AssumeRolePolicyDocument as { Statement: Record<string, any>[] }).Statement;
        expect({ role: role.constructPath, statements: statements.length }).toEqual({ role: role.constructPath, statements: 1 });
        expect(statements[0]).toMatchObject({ Action: ['sts:AssumeRole', 'sts:TagSession'], Principal: { Service: 'pods.eks.amazonaws.com' } });
        expect(Object.keys(statements[0].Condition.StringEquals).sort()).toEqual([
          'aws:RequestTag/eks-cluster-arn', 'aws:RequestTag/kubernetes-namespace', 'aws:RequestTag/kubernetes-service-account', 'aws:SourceAccount',
        ]);
        expect(statements[0].Condition.StringEquals['aws:SourceAccount']).toBe('123456789012');
      }
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
        expect.objectContaining({
          statement: 'KeyAdministration', principals: ['AWS arn:<AWS::Partition>:iam::123456789012:root'], access: 'administer',
          conditions: ['ArnEquals aws:PrincipalArn = arn:${AWS::Partition}:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1 or arn:aws:iam::123456789012:role/key-admins'],
        }),
        expect.objectContaining({
          principals: ['Service logs.eu-west-1.amazonaws.com'], access: 'use',
          conditions: [expect.stringMatching(/^ArnEquals kms:EncryptionContext:aws:logs:arn = arn:<AWS::Partition>:logs:eu-west-1:123456789012:log-group:\/aws\/vpc\/flowlogs\//)],
        }),
      ]));
      const markdown = kmsKeysMarkdown(keys);
      expect(markdown).toContain(`${keys.keys.length} customer managed key(s); 0 without automatic rotation; 0 with a key-policy finding`);
      expect(markdown).toMatch(/### ztp-prod-data \/ PostgresStorageKey/);
    });

    test('every key is administered by the stack\'s CloudFormation execution role and the configured key administrators, by ARN, and by nobody else', () => {
      // (before: "kms:*" for the account root: every IAM principal with KMS rights could administer, and use, every key)
      for (const key of keys.keys) {
        const administration = key.keyPolicy.filter((s) => s.effect === 'Allow' && s.access.startsWith('administer'));
        expect({ key: key.key.constructPath, administration: administration.map((s) => ({ statement: s.statement, conditions: s.conditions })) }).toEqual({
          key: key.key.constructPath,
          administration: [
            { statement: 'KeyAdministration', conditions: ['ArnEquals aws:PrincipalArn = arn:${AWS::Partition}:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1 or arn:aws:iam::123456789012:role/key-admins'] },
            { statement: 'KeyPolicyRecoveryByAccountRootUser', conditions: ['ArnEquals aws:PrincipalArn = arn:<AWS::Partition>:iam::123456789012:root'] },
          ],
        });
      }
    });

    // (before: every key's policy gave the account root kms:*, and five log keys admitted every log group of the account)
    test('no key policy gives a principal kms:* or both administration and use, and CloudWatch Logs is bound to exact log groups on every key', () => {
      expect(keys.keys.filter((k) => k.findings.length > 0).map((k) => ({ key: k.key.constructPath, findings: k.findings }))).toEqual([]);
      for (const key of keys.keys) {
        const allows = key.keyPolicy.filter((s) => s.effect === 'Allow');
        expect(allows.flatMap((s) => s.actions)).not.toContain('kms:*');
        expect(allows.filter((s) => s.access === 'administer and use')).toEqual([]);
      }
    });

    test('each log key lets CloudWatch Logs encrypt exactly the log groups that reference it, nothing else', () => {
      const logGroupNames = new Map(prod.stacks.flatMap((s) => s.resources).filter((r) => r.type === 'AWS::Logs::LogGroup').map((r) => [r.logicalId, String(r.properties.LogGroupName)]));
      for (const key of keys.keys) {
        const logStatements = key.keyPolicy.filter((s) => s.principals.some((p) => p.startsWith('Service logs.')));
        const encrypted = key.usedBy.filter((u) => u.resource.type === 'AWS::Logs::LogGroup').map((u) => logGroupNames.get(u.resource.logicalId));
        const bound = logStatements.flatMap((s) => s.conditions).flatMap((c) => c.replace(/^ArnEquals kms:EncryptionContext:aws:logs:arn = /, '').split(' or '))
          .map((arn) => arn.replace(/^arn:<AWS::Partition>:logs:eu-west-1:123456789012:log-group:/, ''));
        expect({ key: key.key.constructPath, bound: [...bound].sort() }).toEqual({ key: key.key.constructPath, bound: [...encrypted].sort() });
      }
    });

    test('data keys are usable only through the service they exist for, by this account\'s callers', () => {
      const via = (constructPath: string) => keys.keys.find((k) => k.key.constructPath === constructPath)!.keyPolicy
        .filter((s) => s.access === 'use' && s.principals.includes('AWS arn:<AWS::Partition>:iam::123456789012:root'))
        .map((s) => s.conditions);
      const region = (service: string) => `${service}.eu-west-1.<AWS::URLSuffix>`;
      expect(via('Prod/Data/Postgres/StorageKey/Resource')).toEqual([[`StringEquals kms:ViaService = ${region('rds')} or ${region('backup')}`, 'StringEquals kms:CallerAccount = 123456789012']]);
      expect(via('Prod/Data/Postgres/SecretKey/Resource')).toEqual([[`StringEquals kms:ViaService = ${region('secretsmanager')} or ${region('rds')}`, 'StringEquals kms:CallerAccount = 123456789012']]);
      expect(via('Prod/Data/Cache/Key/Resource')).toEqual([[`StringEquals kms:ViaService = ${region('elasticache')}`, 'StringEquals kms:CallerAccount = 123456789012']]);
      expect(via('Prod/Cluster/Platform/SecretsKey/Resource')).toEqual([[`StringEquals kms:ViaService = ${region('eks')}`, 'StringEquals kms:CallerAccount = 123456789012']]);
    });
  });

  describe('Lambda functions', () => {
    // (before: the kubectl handler and its provider framework, and the Custom::VpcRestrictDefaultSG handler, had no
    // LoggingConfig: Lambda made /aws/lambda/<function> on first use, unencrypted and kept forever)
    test('every function of dev and prod logs to a log group of its stack, encrypted with a customer managed key and kept at least a year', () => {
      const functions = [dev, prod].flatMap((environment) => environment.stacks.flatMap((stack) => stack.resources
        .filter((r) => r.type === 'AWS::Lambda::Function')
        .map((fn) => {
          const ref = (fn.properties.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref;
          const group = stack.resources.find((r) => r.logicalId === ref);
          return { fn: fn.constructPath, logGroup: group?.type, encrypted: group?.properties.KmsKeyId !== undefined, retentionDays: Number(group?.properties.RetentionInDays) };
        })));
      expect(functions.length).toBeGreaterThanOrEqual(10);
      for (const fn of functions) expect(fn).toEqual({ fn: fn.fn, logGroup: 'AWS::Logs::LogGroup', encrypted: true, retentionDays: expect.any(Number) });
      expect(functions.filter((f) => !(f.retentionDays >= 365))).toEqual([]);
    });
  });

  describe('dev vs prod', () => {
    const changed = (constructPath: string, property: string) =>
      differences.changed.find((c) => c.b.constructPath === constructPath)?.differences.find((d) => d.property === property);

    test('prod has a third AZ (subnets) and a second Aurora reader; dev has the one NAT gateway prod has not', () => {
      const onlyInProd = differences.onlyInB.map((r) => r.constructPath);
      expect(onlyInProd.filter((p) => /NATGateway|EIP/.test(p))).toEqual([]);
      expect(differences.onlyInA.map((r) => r.constructPath)).toEqual(expect.arrayContaining(['Dev/Network/Network/Vpc/IngressSubnet1/NATGateway']));
      expect(onlyInProd).toEqual(expect.arrayContaining([
        'Prod/Network/Network/Vpc/WorkloadsSubnet3/Subnet',
        'Prod/Network/Network/Vpc/DataSubnet3/Subnet',
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
    // ...and the internet egress summary lists it, in the Markdown too
    expect(inventory.internetEgress.securityGroupRules).toEqual(['ztp-test-stack/Group -> 0.0.0.0/0 all/all']);
    expect(networkPathsMarkdown(inventory)).toContain('- security group rule: `ztp-test-stack/Group -> 0.0.0.0/0 all/all`');
    expect(networkPathsMarkdown(inventory)).toContain('**internet (0.0.0.0/0)**');
  });

  test('a Lambda function outside every VPC is named in the notes (its way out is Lambda\'s, not the VPC\'s); one in a VPC is not', () => {
    const inventory = networkPaths(environment({
      Mirror: { Type: 'AWS::Lambda::Function', Properties: { Description: 'copies charts' } },
      InVpc: { Type: 'AWS::Lambda::Function', Properties: { VpcConfig: { SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'] } } },
    }));
    expect(inventory.notes).toEqual([
      'Lambda function ztp-test-stack/Mirror ("copies charts") runs outside every VPC: it reaches AWS APIs and the internet through AWS Lambda\'s own network, not through this VPC\'s routes or security groups.',
    ]);
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

  test('in a key policy, Resource "*" (this key) is no wildcard: a statement of exact actions is not listed, one with an action wildcard is', () => {
    const inventory = iamWildcards(environment({
      Key: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true, KeyPolicy: { Statement: [
        { Sid: 'Exact', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:role/admin' }, Action: ['kms:PutKeyPolicy', 'kms:DescribeKey'], Resource: '*' },
        { Sid: 'Wild', Effect: 'Allow', Principal: { Service: 'logs.eu-west-1.amazonaws.com' }, Action: 'kms:Encrypt*', Resource: '*' },
      ] } } },
    }));
    expect(inventory.statements).toEqual([expect.objectContaining({ statement: 'Wild', wildcards: ['Action kms:Encrypt*'] })]);
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
      findings: ['AWS arn:aws:iam::111111111111:role/admin both administers and uses the key (statement #1)'],
    })]);
    expect(kmsKeysMarkdown(inventory)).toContain('**off**');
  });

  test('the findings name kms:* for a principal and CloudWatch Logs not bound to exact log groups', () => {
    const inventory = kmsKeys(environment({
      Key: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true, KeyPolicy: { Statement: [
        { Sid: 'Root', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'kms:*', Resource: '*' },
        { Sid: 'Logs', Effect: 'Allow', Principal: { Service: 'logs.eu-west-1.amazonaws.com' }, Action: 'kms:Encrypt*', Resource: '*', Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:111111111111:log-group:*' } } },
        { Sid: 'BoundLogs', Effect: 'Allow', Principal: { Service: 'logs.eu-west-1.amazonaws.com' }, Action: 'kms:Encrypt*', Resource: '*', Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:111111111111:log-group:/app' } } },
        { Sid: 'Describe', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:role/auditor' }, Action: ['kms:DescribeKey', 'kms:ListGrants'], Resource: '*' },
        { Sid: 'AccountDecrypts', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'kms:Decrypt', Resource: '*' },
        { Sid: 'ThroughRds', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 'rds.eu-west-1.amazonaws.com' } } },
      ] } } },
    }));
    expect(inventory.keys[0].findings).toEqual([
      'every KMS action (kms:*) for AWS arn:aws:iam::111111111111:root (statement Root)',
      'CloudWatch Logs may use the key for log groups it is not bound to by their exact ARNs (statement Logs)',
      'any principal of AWS arn:aws:iam::111111111111:root whose IAM policy allows it may use the key directly: no kms:ViaService or aws:PrincipalArn (statement AccountDecrypts)',
    ]);
    expect(inventory.keys[0].keyPolicy.find((s) => s.statement === 'Describe')!.access).toBe('read');
    expect(kmsKeysMarkdown(inventory)).toContain('1 with a key-policy finding');
  });

  test('a key that resources use but whose policy lets nobody use it is a finding', () => {
    const inventory = kmsKeys(environment({
      Key: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true, KeyPolicy: { Statement: [
        { Sid: 'KeyAdministration', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: ['kms:PutKeyPolicy', 'kms:DescribeKey'], Resource: '*' },
      ] } } },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { KmsMasterKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] } } },
    }));
    expect(inventory.keys[0].findings).toEqual(['used by 1 resource(s), but no statement of its policy lets a principal or an AWS service use it']);
  });
});
