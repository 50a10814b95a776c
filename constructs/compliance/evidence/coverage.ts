import type { PluginEvaluations } from '../evaluations';
import type { EvidenceEnvironment, EvidenceResource } from './assembly';
import { findingIsOn, type ReportedFinding } from './report';

export type CoverageStatus = 'pass' | 'fail' | 'acknowledged';

/** One rule against one resource it applies to. */
export interface CoverageRow {
  readonly plugin: string;
  readonly pluginVersion?: string;
  readonly rule: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly constructPath: string;
  readonly status: CoverageStatus;
  /** Items a per-item rule found (e.g. the wildcard resources of AwsSolutions-IAM5). */
  readonly findings?: readonly string[];
}

/** A resource no compliance rule evaluated, and what checks it instead. */
export interface UnevaluatedResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly constructPath: string;
  /** Why no rule applies; undefined: not explained (the gate's tests fail on it). */
  readonly why?: string;
  readonly checkedBy?: string;
}

export interface CoverageReport {
  readonly plugins: readonly { readonly plugin: string; readonly version?: string; readonly rules: number; readonly rulesApplied: number }[];
  readonly rows: readonly CoverageRow[];
  /** Per plugin, the rules that applied to no resource of this environment (not applicable). */
  readonly notApplicable: Readonly<Record<string, readonly string[]>>;
  readonly unevaluated: readonly UnevaluatedResource[];
  readonly resources: number;
}

/** The plugin name of aws-cdk-lib's built-in validation (schema and built-in rules, every resource). */
export const CLOUDFORMATION_VALIDATE = 'CloudFormation Validate';

/**
 * Resource types no cdk-nag or cfn-guard rule applies to, with why that is acceptable and what
 * checks them instead. A resource of a type not listed here that no rule evaluated is reported
 * as unexplained, and the evidence tests fail.
 */
export const UNEVALUATED_TYPES: Readonly<Record<string, { readonly why: string; readonly checkedBy: string }>> = {
  'AWS::CDK::Metadata': { why: 'CDK version reporting; creates no infrastructure.', checkedBy: 'nothing needed' },
  'Custom::AWSCDK-EKS-KubernetesResource': {
    why: 'Kubernetes objects applied by the cluster\'s kubectl handler; CloudFormation rule packs do not read Kubernetes manifests.',
    checkedBy: 'the Kubernetes policy report of this pack (Pod Security, images, NetworkPolicies, Istio, RBAC) and the Kubernetes schema tests',
  },
  'Custom::AWSCDK-EKS-HelmChart': {
    why: 'A Helm release installed by the kubectl handler; its objects exist only after rendering the chart.',
    checkedBy: 'the Kubernetes policy report (rendered charts) and test/charts/rendered-charts.test.ts',
  },
  'Custom::AWSCDK-EKS-KubernetesPatch': { why: 'A patch to a Kubernetes object.', checkedBy: 'the Kubernetes policy report' },
  'Custom::VpcRestrictDefaultSG': {
    why: 'A custom resource that removes every rule of the VPC\'s default security group; it has no configuration of its own.',
    checkedBy: 'its Lambda function and role are evaluated like any other; the network paths inventory shows the default group without rules',
  },
  'AWS::CloudFormation::CustomResource': { why: 'A call to a custom resource handler; the handler is evaluated as a Lambda function.', checkedBy: 'the rows of its handler function and role' },
  'Custom::S3PrefixList': {
    why: 'A call to aws-cdk-lib\'s AwsCustomResource function that reads the id of the AWS-managed S3 prefix list (ec2:DescribeManagedPrefixLists); it creates nothing.',
    checkedBy: 'the rows of the function and its role, and test/constructs/network/s3-prefix-list.test.ts',
  },
  'Custom::PostgresBootstrap': { why: 'A call to the database bootstrap handler; the handler is evaluated as a Lambda function.', checkedBy: 'the rows of the bootstrap handler, its role and security group' },
  'Custom::HelmChartMirror': {
    why: 'A call to the chart mirror handler, which copies the pinned Helm chart versions into the private registry\'s chart repositories; the handler is evaluated as a Lambda function.',
    checkedBy: 'the rows of the mirror handler and its role, test/constructs/registry/private-registry.test.ts and test/charts/rendered-charts.test.ts (every chart installed from its mirror)',
  },
  'AWS::ECR::PullThroughCacheRule': {
    why: 'Lets ECR cache one upstream registry\'s images under the registry\'s prefix; no rule of the packs checks cache rules.',
    checkedBy: 'test/constructs/registry/private-registry.test.ts (exactly the upstreams the platform uses, credentials where required) and test/charts/rendered-charts.test.ts (every image through the cache)',
  },
  'AWS::ECR::RepositoryCreationTemplate': {
    why: 'The settings ECR gives the repositories it creates for a cache rule; no rule of the packs checks templates (the repositories they create are not in the template).',
    checkedBy: 'test/constructs/registry/private-registry.test.ts (immutable tags, the customer managed key, a lifecycle, its own creation role)',
  },
  'AWS::EC2::SubnetRouteTableAssociation': { why: 'Associates a subnet with its route table; no security setting.', checkedBy: 'the network paths inventory (routes per route table)' },
  'AWS::EC2::VPCGatewayAttachment': { why: 'Attaches the internet gateway to the VPC.', checkedBy: 'the network paths inventory (routes to the internet gateway)' },
  'AWS::EC2::RouteTable': { why: 'A route table; its routes are evaluated.', checkedBy: 'the network paths inventory' },
  'AWS::EC2::EIP': { why: 'The Elastic IP of a NAT gateway.', checkedBy: 'the network paths inventory (NAT gateways)' },
  'AWS::EC2::InternetGateway': { why: 'The VPC\'s internet gateway (for the public subnets\' NAT gateways and load balancers).', checkedBy: 'the network paths inventory' },
  'AWS::EC2::SecurityGroupIngress': { why: 'A security group rule; the rule packs evaluate groups with inline rules.', checkedBy: 'the network paths inventory (every rule, flagged when open to 0.0.0.0/0 or a whole VPC range)' },
  'AWS::EC2::SecurityGroupEgress': { why: 'A security group rule; the rule packs evaluate groups with inline rules.', checkedBy: 'the network paths inventory' },
  'AWS::IAM::InstanceProfile': { why: 'Binds a role to instances; the role is evaluated.', checkedBy: 'the rows of its role' },
  'AWS::EKS::AccessEntry': { why: 'Grants an IAM principal access to the cluster\'s Kubernetes API.', checkedBy: 'the Kubernetes policy report (RBAC and access entries)' },
  'AWS::EKS::PodIdentityAssociation': { why: 'Binds a Kubernetes service account to an IAM role; the role is evaluated.', checkedBy: 'the rows of the role and the IAM wildcard inventory' },
  'AWS::EKS::Addon': { why: 'An EKS add-on at a version EKS manages.', checkedBy: 'test/constructs/cluster (versions, pinned or EKS default)' },
  'AWS::KMS::Alias': { why: 'A name for a KMS key; the key is evaluated.', checkedBy: 'the KMS keys inventory' },
  'AWS::Lambda::Permission': { why: 'Lets a service invoke a function.', checkedBy: 'the IAM wildcard inventory' },
  'AWS::EC2::NatGateway': { why: 'A NAT gateway in a public subnet: the workload subnets\' way out to the internet.', checkedBy: 'the network paths inventory (egress paths) and test/constructs/network/zero-trust-vpc.test.ts' },
  'AWS::EC2::VPCEndpoint': {
    why: 'A VPC endpoint to an AWS service; no rule of the packs checks endpoints (nor their policies).',
    checkedBy: 'the network paths inventory (each endpoint, its service and whether it has a policy) and test/constructs/network/zero-trust-vpc.test.ts',
  },
  'AWS::EC2::FlowLog': { why: 'The VPC\'s flow log; the rules check that the VPC has one.', checkedBy: 'the VPC\'s rows (flow logs enabled) and test/constructs/network/zero-trust-vpc.test.ts' },
  'AWS::RDS::DBSubnetGroup': { why: 'The isolated subnets the database cluster runs in.', checkedBy: 'the database cluster\'s rows (not public, in a VPC) and test/constructs/data/postgres-database.test.ts' },
  'AWS::Backup::BackupVault': { why: 'The database\'s AWS Backup vault.', checkedBy: 'the database cluster\'s rows (in a backup plan) and test/constructs/data/postgres-database.test.ts (vault encrypted with the customer key)' },
  'AWS::Backup::BackupPlan': { why: 'The database\'s AWS Backup plan.', checkedBy: 'the database cluster\'s rows (in a backup plan) and test/constructs/data/postgres-database.test.ts' },
  'AWS::Backup::BackupSelection': { why: 'Selects the database cluster into its backup plan.', checkedBy: 'the database cluster\'s rows (in a backup plan) and test/constructs/data/postgres-database.test.ts' },
  'AWS::ElastiCache::SubnetGroup': { why: 'The isolated subnets the cache runs in.', checkedBy: 'the cache\'s rows and test/constructs/data/redis-cache.test.ts' },
  'AWS::ElastiCache::User': { why: 'A user of the cache (IAM authentication; the default user has no access).', checkedBy: 'test/constructs/data/redis-cache.test.ts' },
  'AWS::ElastiCache::UserGroup': { why: 'The cache\'s user group.', checkedBy: 'test/constructs/data/redis-cache.test.ts' },
  'AWS::Lambda::LayerVersion': { why: 'Code shared by Lambda functions (kubectl, Helm, AWS CLI); it has no permissions or network settings of its own.', checkedBy: 'the rows of the functions that use it' },
  'AWS::SSM::Parameter': { why: 'A plain-text marker aws-cdk-lib\'s EKS module writes to order kubectl operations; it holds no secret.', checkedBy: 'nothing needed' },
  'AWS::EKS::Nodegroup': {
    why: 'The managed node group; the packs have no node group rule.',
    checkedBy: 'test/constructs/cluster/platform-cluster.test.ts (private subnets, launch template with IMDSv2 and hop limit 1, encrypted volumes)',
  },
  'AWS::APS::Workspace': { why: 'The Amazon Managed Service for Prometheus workspace; the packs have no rule for it.', checkedBy: 'test/constructs/observability/metrics.test.ts (customer-managed key)' },
  'AWS::APS::Scraper': { why: 'The managed collector scraping the cluster into the workspace.', checkedBy: 'test/constructs/observability/metrics.test.ts' },
  'AWS::Logs::LogGroup': { why: 'No rule of the packs applies to a log group in this template set beyond retention and encryption, which the library sets.', checkedBy: 'test/constructs (retention and KMS key of each log group)' },
  'AWS::Logs::MetricFilter': { why: 'Turns log events into CloudWatch metrics (a service\'s requests, 5xx and response times); it grants nothing and reads only its log group.', checkedBy: 'test/lib/stacks/observability-stack.test.ts (the filters against the sample service\'s own access lines)' },
  'AWS::SNS::TopicPolicy': {
    why: 'The resource policy of the alarm topic; the packs evaluate the topic (encryption, TLS-only) and read its policy from there.',
    checkedBy: 'test/constructs/observability/alarm-topic.test.ts (deny without TLS, publish by this account\'s CloudWatch alarms only)',
  },
  'AWS::CloudWatch::CompositeAlarm': { why: 'An SLO page combining burn-rate window alarms; the packs check alarm actions on metric alarms only.', checkedBy: 'test/constructs/observability/service-monitoring.test.ts (its rule and its actions on ALARM and OK)' },
  'AWS::CloudWatch::Dashboard': { why: 'A dashboard: graphs of metrics, no data of its own and no permissions.', checkedBy: 'test/constructs/observability/platform-monitoring.test.ts' },
};

/** Builds the coverage matrix of one environment from the plugins' evaluations and the report. */
export function coverage(environment: EvidenceEnvironment, evaluations: readonly PluginEvaluations[], findings: readonly ReportedFinding[]): CoverageReport {
  const resources = environment.stacks.flatMap((s) => s.resources);
  const byTemplate = new Map(resources.map((r) => [`${r.templateFile}|${r.logicalId}`, r]));
  const rows: CoverageRow[] = [];
  const notApplicable: Record<string, string[]> = {};
  const plugins: { plugin: string; version?: string; rules: number; rulesApplied: number }[] = [];

  for (const plugin of evaluations) {
    const applied = new Set<string>();
    for (const evaluated of plugin.resources) {
      const resource = byTemplate.get(`${evaluated.templateFile}|${evaluated.logicalId}`);
      if (!resource) continue; // another environment's
      for (const evaluation of evaluated.evaluations) {
        applied.add(evaluation.rule);
        rows.push({
          ...identify(resource, plugin.plugin, plugin.version, evaluation.rule),
          status: evaluation.result === 'Compliant' ? 'pass' : statusOf(findings, plugin.plugin, evaluation.rule, resource),
          findings: evaluation.findings,
        });
      }
    }
    plugins.push({ plugin: plugin.plugin, version: plugin.version, rules: plugin.rules.length, rulesApplied: applied.size });
    notApplicable[plugin.plugin] = plugin.rules.map((r) => r.rule).filter((r) => !applied.has(r));
  }

  // aws-cdk-lib's built-in validation checks every resource against its CloudFormation schema and built-in rules.
  const builtin = findings.filter((f) => f.plugin === CLOUDFORMATION_VALIDATE);
  if (builtin.length > 0 || findings.length > 0) {
    for (const resource of resources) {
      const own = builtin.filter((f) => f.templateFile === resource.templateFile && f.logicalId === resource.logicalId);
      rows.push({
        ...identify(resource, CLOUDFORMATION_VALIDATE, builtin[0]?.pluginVersion, 'schema and built-in rules'),
        status: own.some((f) => !f.acknowledgment) ? 'fail' : own.length > 0 ? 'acknowledged' : 'pass',
      });
    }
  }

  const evaluatedByRulePacks = new Set(rows.filter((r) => r.plugin !== CLOUDFORMATION_VALIDATE).map((r) => `${r.stack}|${r.logicalId}`));
  const unevaluated = resources
    .filter((r) => !evaluatedByRulePacks.has(`${r.stack}|${r.logicalId}`))
    .map((r) => ({ stack: r.stack, logicalId: r.logicalId, type: r.type, constructPath: r.constructPath, ...UNEVALUATED_TYPES[r.type] }));
  return { plugins, rows, notApplicable, unevaluated, resources: resources.length };
}

function identify(resource: EvidenceResource, plugin: string, pluginVersion: string | undefined, rule: string) {
  return { plugin, pluginVersion, rule, stack: resource.stack, logicalId: resource.logicalId, type: resource.type, constructPath: resource.constructPath };
}

/**
 * A non-compliant evaluation's status from the report: acknowledged when every finding of the
 * rule on the resource is acknowledged, fail otherwise (including a finding the report lacks).
 */
function statusOf(findings: readonly ReportedFinding[], plugin: string, rule: string, resource: EvidenceResource): CoverageStatus {
  const own = findings.filter((f) => f.plugin === plugin && (f.rule === rule || f.rule.startsWith(`${rule}[`)) && findingIsOn(f, resource));
  return own.length > 0 && own.every((f) => f.acknowledgment) ? 'acknowledged' : 'fail';
}
