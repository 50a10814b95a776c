import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DatabaseBootstrap, PostgresDatabase, RedisCache } from '../../../constructs/data';
import type { OpenFinding } from '@zero-trust/platform-constructs';
import { createTestApp, synthWithGate } from '../../support/test-app';
import { importedPlatformVpc } from './data-test-vpc';

/** Grants land in a customer managed policy of the role, not an inline policy (IAMNoInlinePolicy). */
class ManagedPolicyPrincipal extends iam.ArnPrincipal {
  constructor(role: iam.IRole, private readonly policy: iam.ManagedPolicy) {
    super(role.roleArn);
  }

  override addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }
}

/**
 * A platform team's own stacks: a data stack with both constructs on an imported VPC, and a
 * consumer stack whose workload role and security group reach them through typed attributes
 * (connections, grantConnect), across stacks, synthesized with the compliance gate.
 */
describe('data constructs composed in consumer stacks', () => {
  let findings: OpenFinding[];
  let consumerTemplate: Template;
  let dataTemplate: Template;
  beforeAll(() => {
    // GIVEN
    const app = createTestApp();
    const env = { account: '123456789012', region: 'eu-west-1' };
    const dataStack = new Stack(app, 'TeamData', { env });
    const vpc = importedPlatformVpc(dataStack);
    const database = new PostgresDatabase(dataStack, 'Orders', { vpc });
    const bootstrap = new DatabaseBootstrap(dataStack, 'OrdersBootstrap', { database, roleName: 'orders' });
    const cache = new RedisCache(dataStack, 'OrdersCache', { vpc });

    const consumer = new Stack(app, 'TeamService', { env });
    const serviceSg = new ec2.SecurityGroup(consumer, 'ServiceSg', { vpc: importedPlatformVpc(consumer), allowAllOutbound: false, description: 'orders service' });
    const serviceRole = new iam.Role(consumer, 'ServiceRole', { assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com') });
    const servicePolicy = new iam.ManagedPolicy(consumer, 'ServicePolicy', { description: 'orders service data access' });
    serviceRole.addManagedPolicy(servicePolicy);
    const grantee: iam.IGrantable = { grantPrincipal: new ManagedPolicyPrincipal(serviceRole, servicePolicy) };
    // WHEN
    // Declared from the consumer side, so the rules live in the consumer stack and the data
    // stack never depends on its consumers (no cycle with the grants below).
    serviceSg.connections.allowToDefaultPort(database, 'orders service to Postgres');
    serviceSg.connections.allowToDefaultPort(cache, 'orders service to the cache');
    database.grantConnect(grantee, bootstrap.roleName);
    cache.grantConnect(grantee);
    ({ findings } = synthWithGate(app));
    consumerTemplate = Template.fromStack(consumer);
    dataTemplate = Template.fromStack(dataStack);
  });

  test('synthesizes with the compliance gate and zero open findings', () => {
    expect(findings).toEqual([]);
  });

  test('the consumer gets exactly rds-db:connect and elasticache:Connect', () => {
    consumerTemplate.resourceCountIs('AWS::IAM::Policy', 0);
    const statements = Object.values(consumerTemplate.findResources('AWS::IAM::ManagedPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.map((s) => s.Action).sort()).toEqual(['elasticache:Connect', 'rds-db:connect']);
  });

  test('database and cache admit the consumer security group on their ports, and nothing else', () => {
    const ingress = [dataTemplate, consumerTemplate].flatMap((t) => Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties));
    // 5432 twice: the bootstrap handler (data stack) and the service (consumer stack).
    expect(ingress.map((r) => r.FromPort).sort()).toEqual([5432, 5432, 6380]);
    expect(ingress.every((r) => r.SourceSecurityGroupId !== undefined && r.CidrIp === undefined)).toBe(true);
  });
});
