import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { App, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct, type IConstruct } from 'constructs';
import * as library from '@zero-trust/platform-constructs';
import {
  acknowledgedIds,
  ApplicationNamespace,
  applyComplianceGate,
  ArgoRollouts,
  assertNoOpenFindings,
  childOf,
  ClusterMetricsScraper,
  COMPLIANCE_PLUGIN_NAMES,
  DatabaseBootstrap,
  IstioMesh,
  LIBRARY_ACKNOWLEDGMENTS,
  MetricsWorkspace,
  openFindings,
  PlatformCluster,
  PostgresDatabase,
  RedisCache,
  reportedPlugins,
  ServiceImage,
  ServiceRepository,
  StatelessService,
  ZeroTrustVpc,
  AlarmTopic,
  ContainerLogs,
  MetricsCollector,
  PlatformMonitoring,
  ServiceMonitoring,
  TraceCollector,
  PrivateRegistry,
} from '@zero-trust/platform-constructs';
import {
  assertSingleAwsCdkLib,
  cfnResourceCensus,
  gateAwsCdkLibCopies,
  nagCfnResourceClass,
  unevaluatedResourcesError,
  type AwsCdkLibCopy,
} from '../../../constructs/compliance/aws-cdk-lib-copies';
import { RequireTemplates } from '../../../constructs/compliance/compliance-gate';
import { LIBRARY_CONSTRUCT_CLASSES, LIBRARY_CONSTRUCT_METADATA } from '../../../constructs/compliance/library-constructs';
import { libraryConstructs } from '../../../constructs/compliance/validation-report';
import { createTestApp } from '../../support/test-app';

/** Synthesizes; a synth that fails on plugin findings still leaves the report in the outdir. */
function synthDirectory(app: App): string {
  try {
    return app.synth().directory;
  } catch {
    return app.outdir;
  }
}

const ID_PATTERN = /^(AwsSolutions|HIPAA\.Security|NIST\.800\.53\.R5|PCI\.DSS\.321|cdk-validator-cfnguard|CloudFormation-Validate)::\S+$/;

/**
 * The core regression: a team composes the whole platform in ONE stack with its own construct
 * ids (stack "Team", cluster "TeamCluster", ...), nothing like this repository's app, and turns
 * the gate on with no acknowledgment of its own. Every finding on what the library built must be
 * covered by the library's own acknowledgments.
 */
describe('the library compliance gate in a consumer app with its own construct ids', () => {
  let app: App;
  let stack: Stack;
  let platform: PlatformCluster;
  let assemblyDirectory: string;

  beforeAll(() => {
    app = createTestApp();
    stack = new Stack(app, 'Team');
    // explicit zones, as a pinned environment gives them (the library acknowledges their literal names on the subnets)
    const network = new ZeroTrustVpc(stack, 'TeamNetwork', { cidr: '10.60.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'] });
    const kubectlLayer = new KubectlV36Layer(stack, 'TeamKubectl');
    // Images through ECR's pull-through cache, charts from the team's ECR mirror.
    const registry = new PrivateRegistry(stack, 'TeamRegistry', {
      repositoryPrefix: 'team',
      upstreamCredentials: { 'docker-hub': secretsmanager.Secret.fromSecretNameV2(stack, 'TeamDockerHub', 'ecr-pullthroughcache/team/docker-hub') },
      helmLayer: kubectlLayer,
    });
    platform = new PlatformCluster(stack, 'TeamCluster', {
      vpc: network.vpc,
      version: eks.KubernetesVersion.V1_36,
      kubectlLayer,
      registry,
    });
    const cluster = platform.cluster;
    const mesh = new IstioMesh(stack, 'TeamMesh', { cluster, vpc: network.vpc, tracing: TraceCollector.meshTracing(10), registry });
    const namespace = new ApplicationNamespace(stack, 'OrdersNamespace', { cluster, name: 'orders', quota: { cpu: 4, memoryGiB: 8, pods: 20 } });
    const database = new PostgresDatabase(stack, 'OrdersDb', { vpc: network.vpc });
    const bootstrap = new DatabaseBootstrap(stack, 'OrdersDbSetup', { database, roleName: 'orders' });
    const cache = new RedisCache(stack, 'OrdersCache', { vpc: network.vpc });
    const workspace = new MetricsWorkspace(stack, 'TeamMetrics');
    const scraper = new ClusterMetricsScraper(stack, 'TeamScraper', { cluster, vpc: network.vpc, workspace });
    new ArgoRollouts(stack, 'TeamRollouts', { cluster, metricsWorkspace: workspace, scrapeSourceCidrs: scraper.sourceCidrs }).node.addDependency(mesh.ready);
    // Observability as a team composes it: logs, traces, metrics, alarms and a dashboard.
    const logs = new ContainerLogs(stack, 'TeamLogs', { cluster, logGroupPrefix: 'team', vpcCidr: '10.60.0.0/16', applicationNamespaces: [namespace] });
    const traces = new TraceCollector(stack, 'TeamTraces', { cluster, vpc: network.vpc, mesh, senders: [{ namespace }] });
    const metrics = new MetricsCollector(stack, 'TeamMetricsCollector', { cluster, vpc: network.vpc, workspace, logGroupPrefix: 'team' });
    const { repository } = new ServiceRepository(stack, 'OrdersRepo');
    const service = new StatelessService(stack, 'OrdersService', {
      cluster,
      namespace,
      serviceName: 'orders',
      image: ServiceImage.fromEcrDigest(repository, `sha256:${'cd34'.repeat(16)}`),
      postgres: { database, user: bootstrap.roleName },
      cache: { cache },
      gateway: mesh.gatewayExposure({ hosts: ['orders.team.example.com'] }),
      tracing: traces.exportFor(namespace),
    });
    const { topic } = new AlarmTopic(stack, 'TeamAlarms', { emailAddresses: ['oncall@team.example.com'] });
    const orders = new ServiceMonitoring(stack, 'OrdersMonitoring', {
      serviceName: service.serviceName,
      logGroup: logs.applicationLogGroup,
      slo: { availabilityPercent: 99.9, latencyThreshold: Duration.millis(300), latencyPercent: 99 },
      topic,
    });
    new PlatformMonitoring(stack, 'TeamMonitoring', { topic, nodeReadiness: metrics.metricNodeReady(), services: [orders], database: { database }, cache: { cache } });
    applyComplianceGate(app);
    assemblyDirectory = synthDirectory(app);
  });

  test('has zero open findings with only the library acknowledgments', () => {
    expect(openFindings(assemblyDirectory)).toEqual([]);
    expect(() => assertNoOpenFindings(assemblyDirectory)).not.toThrow();
  });

  test('every cdk-nag pack and cfn-guard evaluated the stack (each reports its acknowledged findings)', () => {
    expect(reportedPlugins(assemblyDirectory)).toEqual(expect.arrayContaining([...COMPLIANCE_PLUGIN_NAMES]));
  });

  test('the kubectl provider ids are computed from this app\'s logical ids, not the platform app\'s', () => {
    // GIVEN the handler role and the framework's inline policy of the kubectl provider, each acknowledged on its own
    const provider = platform.cluster.node.findChild('KubectlProvider');
    const handler = provider.node.findChild('Handler') as lambda.Function;
    const framework = provider.node.findChild('Provider').node.findChild('framework-onEvent') as lambda.Function;
    const handlerRole = handler.role!.node.defaultChild!;
    const frameworkPolicy = framework.role!.node.findChild('DefaultPolicy').node.defaultChild!;
    const acknowledged = (construct: IConstruct) => LIBRARY_ACKNOWLEDGMENTS.filter((a) => a.appliesTo(construct))
      .flatMap((a) => acknowledgedIds(a, construct).map((id) => ({ id, reason: a.reason })));
    const ids = [...acknowledged(handlerRole), ...acknowledged(frameworkPolicy)];
    const handlerId = stack.resolve((handler.node.defaultChild as CfnResource).logicalId);
    expect(handlerId).toMatch(/^TeamClusterKubectlProviderHandler[0-9A-F]{8}$/);
    expect(acknowledged(frameworkPolicy).map((i) => i.id)).toContain(`AwsSolutions::AwsSolutions-IAM5[Resource::<${handlerId}.Arn>:*]`);
    expect(acknowledged(handlerRole).map((i) => i.id).find((id) => id.includes('AmazonElasticContainerRegistryPublicReadOnly'))).toMatch(/\{"Fn::If":\["TeamClusterKubectlProviderHandlerHasEcrPublic[0-9A-F]{8}",/);
    expect(ids.map((i) => i.id).join()).not.toMatch(/PlatformCluster/);
    // ... and those are the ids cdk-nag reports, so they are used.
    const suppressed = suppressedViolations(assemblyDirectory);
    const computed = ids.filter((i) => i.id.includes('TeamClusterKubectlProviderHandler'));
    expect(computed).toHaveLength(2);
    for (const { id, reason } of computed) {
      expect(suppressed.filter((s) => s.acknowledgedId === id).map((s) => s.reason)).toContain(reason);
    }
  });

  test('every library acknowledgment selects something here, by type and role, at a construct inside a stack', () => {
    const all = app.node.findAll();
    for (const ack of LIBRARY_ACKNOWLEDGMENTS) {
      const selected = all.filter((c) => ack.appliesTo(c));
      expect({ scope: ack.scope, selected: selected.length > 0 }).toEqual({ scope: ack.scope, selected: true });
      for (const construct of selected) {
        expect(construct.node.scopes.length).toBeGreaterThan(2);
        for (const id of acknowledgedIds(ack, construct)) expect(id).toMatch(ID_PATTERN);
      }
    }
  });

  test('marks each library construct in the assembly, so findings on them can be told apart', () => {
    const marked = libraryConstructs(assemblyDirectory);
    expect(marked.get('Team/TeamCluster')).toBe('PlatformCluster');
    expect(marked.get('Team/TeamNetwork')).toBe('ZeroTrustVpc');
    expect(marked.get('Team/OrdersDbSetup')).toBe('DatabaseBootstrap');
    expect(marked.get('Team/TeamKubectl')).toBeUndefined();
  });
});

interface Suppressed { acknowledgedId: string; reason: string; acknowledgedAt: string }

function suppressedViolations(assemblyDirectory: string): Suppressed[] {
  const report = JSON.parse(fs.readFileSync(path.join(assemblyDirectory, 'validation-report.json'), 'utf8'));
  return report.pluginReports.flatMap((p: { suppressedViolations?: Suppressed[] }) => p.suppressedViolations ?? []);
}

describe('applyComplianceGate', () => {
  test('reports an unacknowledged finding from every pack and from cfn-guard', () => {
    // GIVEN a bucket with none of the controls the packs ask for
    const app = createTestApp();
    new s3.Bucket(new Stack(app, 'Leaky'), 'Bucket');
    applyComplianceGate(app);
    // WHEN synthesized (cfn-guard reports "success" with open findings, so synth itself may pass)
    const directory = synthDirectory(app);
    // THEN the gate sees open findings from every plugin
    const plugins = new Set(openFindings(directory).map((f) => f.plugin));
    expect([...plugins].sort()).toEqual([...COMPLIANCE_PLUGIN_NAMES].sort());
  });

  test('applies a consumer acknowledgment to exactly the constructs it selects, with its reason', () => {
    class TeamBucket extends Construct {
      constructor(scope: Construct, id: string) {
        super(scope, id);
        new s3.Bucket(this, 'Bucket', { enforceSSL: true });
      }
    }
    const app = createTestApp();
    const stack = new Stack(app, 'Scoped');
    new TeamBucket(stack, 'Acked');
    new s3.Bucket(stack, 'NotAcked', { enforceSSL: true });
    const reason = 'test reason: access logs of this bucket go to the central log archive of the organization';
    applyComplianceGate(app, {
      acknowledgments: [{
        ids: ['AwsSolutions::AwsSolutions-S1'], scope: 'the bucket of a TeamBucket', appliesTo: childOf(TeamBucket, 'Bucket'), reason,
        compensatingControl: 'the organization trail records its data events', verifiedBy: 'test/constructs/compliance/compliance-gate.test.ts', owner: 'team', expires: '2027-06-06',
      }],
    });
    const directory = synthDirectory(app);
    expect(openFindings(directory).filter((f) => f.rule === 'AwsSolutions-S1').flatMap((f) => f.constructPaths)).toEqual(['Scoped/NotAcked/Resource']);
    expect(suppressedViolations(directory).filter((s) => s.acknowledgedId === 'AwsSolutions::AwsSolutions-S1'))
      .toEqual([expect.objectContaining({ reason, acknowledgedAt: 'Scoped/Acked/Bucket' })]);
  });

  test('fails synth when there is no CloudFormation resource to evaluate', () => {
    const app = createTestApp();
    new Stack(app, 'Empty');
    applyComplianceGate(app);
    expect(() => app.synth()).toThrow(/Compliance gate: there is no CloudFormation resource to evaluate, so every compliance plugin would pass having looked at nothing/);
  });

  test('fails synth when a resource comes from another aws-cdk-lib copy than cdk-nag\'s (which would skip it)', () => {
    // GIVEN two topics that allow plain HTTP publishers (AwsSolutions-SNS3): one of this aws-cdk-lib, one of a second, separately loaded copy
    let ForeignCfnTopic: typeof sns.CfnTopic | undefined;
    jest.isolateModules(() => {
      ForeignCfnTopic = (require('aws-cdk-lib/aws-sns') as typeof sns).CfnTopic;
    });
    const app = createTestApp();
    const stack = new Stack(app, 'Mixed');
    new sns.CfnTopic(stack, 'Native');
    const foreign = new ForeignCfnTopic!(stack, 'Foreign');
    expect(CfnResource.isCfnResource(foreign)).toBe(true);
    expect(foreign).not.toBeInstanceOf(CfnResource);
    // cdk-nag on its own flags the native topic and silently skips the foreign one: the bug the gate guards against
    const skipped = new AwsSolutionsChecks().validateScope(stack);
    expect(skipped.violations.find((v) => v.ruleName === 'AwsSolutions-SNS3')?.violatingResources.map((r) => r.constructPath)).toEqual(['Mixed/Native']);
    applyComplianceGate(app);
    // WHEN synthesized, THEN the gate refuses, naming the resource, cdk-nag's copy and the fix
    expect(() => app.synth()).toThrow(new RegExp([
      'Compliance gate: 1 of 2 CloudFormation resources were created with another copy of aws-cdk-lib than the one cdk-nag loads ' +
        '\\(aws-cdk-lib 2\\.\\d+\\.\\d+ from .*node_modules/aws-cdk-lib\\), so the cdk-nag packs would silently skip them',
      '  - Mixed/Foreign \\(aws-cdk-lib 2\\.\\d+\\.\\d+\\)',
      'Fix: install exactly one aws-cdk-lib\\. Run `npm ls aws-cdk-lib`',
    ].join('[\\s\\S]*')));
  });
});

describe('the aws-cdk-lib copy checks', () => {
  const copy = (usedBy: string, directory: string, version: string): AwsCdkLibCopy => ({ usedBy, directory, version });

  test('in this repository the library, cdk-nag and cfn-guard load one aws-cdk-lib, the one the tests use', () => {
    const copies = gateAwsCdkLibCopies();
    expect(copies.map((c) => c.usedBy)).toEqual(['@zero-trust/platform-constructs', 'cdk-nag', '@cdklabs/cdk-validator-cfnguard']);
    expect(new Set(copies.map((c) => c.directory))).toEqual(new Set([fs.realpathSync(path.dirname(require.resolve('aws-cdk-lib/package.json')))]));
    expect(() => assertSingleAwsCdkLib(copies)).not.toThrow();
    expect(nagCfnResourceClass()).toBe(CfnResource);
  });

  test('two copies fail, naming each package, version and directory, and the fix', () => {
    expect(() => assertSingleAwsCdkLib([
      copy('@zero-trust/platform-constructs', '/app/node_modules/aws-cdk-lib', '2.276.0'),
      copy('cdk-nag', '/app/node_modules/cdk-nag/node_modules/aws-cdk-lib', '2.300.0'),
      copy('@cdklabs/cdk-validator-cfnguard', '/app/node_modules/aws-cdk-lib', '2.276.0'),
    ])).toThrow(new RegExp([
      'Compliance gate: more than one copy of aws-cdk-lib is loaded, so cdk-nag would silently skip every resource created with another copy',
      '  - @zero-trust/platform-constructs loads aws-cdk-lib 2\\.276\\.0 from /app/node_modules/aws-cdk-lib',
      '  - cdk-nag loads aws-cdk-lib 2\\.300\\.0 from /app/node_modules/cdk-nag/node_modules/aws-cdk-lib',
      'Fix: install exactly one aws-cdk-lib\\. Run `npm ls aws-cdk-lib`',
    ].join('[\\s\\S]*')));
  });

  test('the census counts resources by aws-cdk-lib\'s symbol-free test and flags those not instanceof cdk-nag\'s class', () => {
    // A fake tree: two CfnResource-shaped constructs; cdk-nag's "class" is a stand-in only one is an instance of.
    class NagCfnResource extends Construct { readonly cfnResourceType = 'AWS::SNS::Topic'; }
    class OtherCopyCfnResource extends Construct { readonly cfnResourceType = 'AWS::SNS::Topic'; }
    const root = new Construct(undefined as unknown as Construct, '');
    const group = new Construct(root, 'Group');
    new NagCfnResource(group, 'Seen');
    const unseen: IConstruct = new OtherCopyCfnResource(group, 'Unseen');
    new Construct(group, 'NotAResource');
    const census = cfnResourceCensus(root, NagCfnResource);
    expect(census.resources).toBe(2);
    expect(census.notInstances).toEqual([unseen]);
    const nagCopy = copy('cdk-nag', '/app/node_modules/aws-cdk-lib', '2.276.0');
    expect(unevaluatedResourcesError(census, nagCopy)).toMatch(/^Compliance gate: 1 of 2 CloudFormation resources were created with another copy of aws-cdk-lib than the one cdk-nag loads \(aws-cdk-lib 2\.276\.0 from \/app\/node_modules\/aws-cdk-lib\)[\s\S]*  - Group\/Unseen \(aws-cdk-lib of unknown version\)/);
    expect(unevaluatedResourcesError(cfnResourceCensus(root, Construct), nagCopy)).toBeUndefined();
    expect(unevaluatedResourcesError({ resources: 0, notInstances: [] }, nagCopy)).toMatch(/no CloudFormation resource to evaluate/);
  });

  test('cfn-guard fails instead of passing when it is handed no template, or only empty ones', () => {
    const inner = { name: 'cdk-validator-cfnguard', version: '0.0.62', validate: jest.fn(() => ({ success: true, violations: [] })) };
    const plugin = new RequireTemplates(inner);
    expect(plugin.name).toBe('cdk-validator-cfnguard');
    expect(() => plugin.validate({ templatePaths: [] } as never)).toThrow(/Compliance gate: cdk-validator-cfnguard was given no CloudFormation template, so it evaluated nothing/);
    const empty = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gate-')), 'Empty.template.json');
    fs.writeFileSync(empty, JSON.stringify({ Resources: {} }));
    expect(() => plugin.validate({ templatePaths: [empty] } as never)).toThrow(/was given only templates without resources, so it evaluated nothing/);
    expect(inner.validate).not.toHaveBeenCalled();
  });
});

describe('assertNoOpenFindings', () => {
  /** A minimal cloud assembly: a validation report and a manifest marking a library construct. */
  function assembly(report: unknown, metadata: Record<string, { type: string; data?: unknown }[]> = {}): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-assembly-'));
    fs.writeFileSync(path.join(dir, 'validation-report.json'), JSON.stringify(report));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ artifacts: { Team: { type: 'aws:cloudformation:stack', additionalMetadataFile: 'Team.metadata.json' } } }));
    fs.writeFileSync(path.join(dir, 'Team.metadata.json'), JSON.stringify(metadata));
    return dir;
  }
  const violation = (ruleName: string, ...paths: string[]) => ({ ruleName, severity: 'error', violatingConstructs: paths.map((constructPath) => ({ constructPath })) });

  test('tells the consumer to fix the resource or acknowledge it in THEIR registry, never to edit node_modules', () => {
    const dir = assembly({ pluginReports: [{ pluginName: 'AwsSolutions', conclusion: 'failure', violations: [violation('AwsSolutions-S1', 'Team/Bucket/Resource')] }] });
    let message = '';
    try {
      assertNoOpenFindings(dir);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('Compliance gate: 1 unacknowledged finding(s) in');
    expect(message).toContain('  - [AwsSolutions] AwsSolutions-S1 (error) at Team/Bucket/Resource: acknowledge as "AwsSolutions::AwsSolutions-S1"');
    expect(message).toMatch(/fix the resource; or, only if it cannot be fixed .* add an acknowledgment \{ ids, scope, appliesTo, reason \} to YOUR registry, the `acknowledgments` you pass to applyComplianceGate\(app, \{ acknowledgments \}\)/);
    expect(message).toContain('Never edit files under node_modules.');
    expect(message).not.toContain('lib/compliance');
    expect(message).not.toContain('BUILT BY THE LIBRARY');
  });

  test('names the id to acknowledge in the form CDK matches: "CloudFormation-Validate::" for aws-cdk-lib\'s own validation', () => {
    const dir = assembly({ pluginReports: [{ pluginName: 'CloudFormation Validate', conclusion: 'success', violations: [violation('W3010', 'Team/Db/Writer/Resource')] }] });
    expect(() => assertNoOpenFindings(dir)).toThrow('  - [CloudFormation Validate] W3010 (error) at Team/Db/Writer/Resource: acknowledge as "CloudFormation-Validate::W3010"');
  });

  test('says when a finding is on a resource the library built: a library bug to report', () => {
    const dir = assembly(
      { pluginReports: [{ pluginName: 'HIPAA.Security', conclusion: 'failure', violations: [violation('HIPAA.Security-IAMNoInlinePolicy', 'Team/TeamCluster/NodeRole/Resource', 'Team/Mine/Resource')] }] },
      { '/Team/TeamCluster': [{ type: LIBRARY_CONSTRUCT_METADATA, data: 'PlatformCluster' }], '/Team/TeamCluster/SecretsKey': [{ type: LIBRARY_CONSTRUCT_METADATA, data: 'PlatformKey' }] },
    );
    expect(() => assertNoOpenFindings(dir)).toThrow(/at Team\/TeamCluster\/NodeRole\/Resource: acknowledge as "HIPAA\.Security::HIPAA\.Security-IAMNoInlinePolicy"; BUILT BY THE LIBRARY \(PlatformCluster at Team\/TeamCluster\)\n  - \[HIPAA\.Security\] HIPAA\.Security-IAMNoInlinePolicy \(error\) at Team\/Mine\/Resource: acknowledge as "HIPAA\.Security::HIPAA\.Security-IAMNoInlinePolicy"\n/);
    expect(() => assertNoOpenFindings(dir)).toThrow(/1 of them are on resources @zero-trust\/platform-constructs built \(marked BUILT BY THE LIBRARY\): unless one follows from a prop you set, that is a bug of the library, whose own acknowledgments should cover it: report it with this message/);
  });

  test('a plugin that failed to run is an open finding', () => {
    const dir = assembly({ pluginReports: [{ pluginName: 'cdk-validator-cfnguard', conclusion: 'failure', metadata: { error: "Validation plugin 'cdk-validator-cfnguard' failed: boom" }, violations: [] }] });
    expect(openFindings(dir)).toEqual([{ plugin: 'cdk-validator-cfnguard', rule: "Validation plugin 'cdk-validator-cfnguard' failed: boom", severity: 'error', constructPaths: [] }]);
    expect(() => assertNoOpenFindings(dir)).toThrow(/\[cdk-validator-cfnguard\] Validation plugin 'cdk-validator-cfnguard' failed: boom \(error\)/);
  });
});

describe('LIBRARY_ACKNOWLEDGMENTS', () => {
  test.each(LIBRARY_ACKNOWLEDGMENTS.map((a) => [a.scope, a]))('%s: namespaced ids, a substantive reason, no app paths', (_scope, ack) => {
    if (typeof ack.ids !== 'function') for (const id of ack.ids) expect(id).toMatch(ID_PATTERN);
    expect(ack.reason.length).toBeGreaterThan(80);
    expect(ack.scope.length).toBeGreaterThan(10);
    expect(`${ack.reason} ${ack.scope}`).not.toMatch(/lib\/|PlatformClusterKubectl|Network stack/);
  });

  test('AwsSolutions-L1 on the bootstrap Lambdas only while aws-cdk-lib knows a newer Node.js runtime than theirs', () => {
    const stack = new Stack(createTestApp(), 'Team');
    const network = new ZeroTrustVpc(stack, 'TeamNetwork', { cidr: '10.61.0.0/16' });
    const bootstrap = new DatabaseBootstrap(stack, 'Setup', { database: new PostgresDatabase(stack, 'Db', { vpc: network.vpc }), roleName: 'app' });
    const ack = LIBRARY_ACKNOWLEDGMENTS.find((a) => a.scope.startsWith('the DatabaseBootstrap handler Lambda, its CDK provider framework Lambda'))!;
    const handler = bootstrap.node.findChild('Handler').node.defaultChild!;
    expect(ack.appliesTo(handler)).toBe(true);
    // aws-cdk-lib 2.276.0 knows no runtime newer than nodejs24.x: no finding, no acknowledgment.
    expect(acknowledgedIds(ack, handler)).toEqual([]);
    // An older runtime (as nodejs24.x is once aws-cdk-lib lists nodejs26.x) is what the rule flags.
    (handler as unknown as { runtime: string }).runtime = 'nodejs22.x';
    expect(acknowledgedIds(ack, handler)).toEqual(['AwsSolutions::AwsSolutions-L1']);
    expect(ack.appliesTo(bootstrap.node.findChild('HandlerPolicy'))).toBe(false);
  });

  test('never acknowledge at app, stage or stack level', () => {
    const app = createTestApp();
    const stack = new Stack(app, 'Network');
    for (const ack of LIBRARY_ACKNOWLEDGMENTS) {
      expect(ack.appliesTo(app)).toBe(false);
      expect(ack.appliesTo(stack)).toBe(false);
    }
  });

  test('no selector names an app id or a path suffix (they select by construct type and role)', () => {
    const source = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'constructs', 'compliance', 'library-acknowledgments.ts'), 'utf8');
    expect(source).not.toMatch(/node\.path|endsWith\(|PlatformClusterKubectl|StoreArtifacts/);
  });
});

test('the library construct classes the gate marks are every CDK construct class the package exports', () => {
  // Walks the class chain (some bases define Symbol.hasInstance, so `prototype instanceof` can mislead).
  const extendsClass = (type: unknown, base: unknown): boolean => {
    for (let t = Object.getPrototypeOf(type); t; t = Object.getPrototypeOf(t)) if (t === base) return true;
    return false;
  };
  const cdk8s = require('cdk8s') as typeof import('cdk8s');
  const exported = (Object.values(library) as unknown[]).filter((value) => typeof value === 'function' && extendsClass(value, Construct));
  // cdk8s objects and charts are constructs too, but of a cdk8s app, not the CDK tree.
  const cdkConstructs = exported.filter((type) => !extendsClass(type, cdk8s.ApiObject) && !extendsClass(type, cdk8s.Chart));
  expect(new Set(LIBRARY_CONSTRUCT_CLASSES)).toEqual(new Set(cdkConstructs));
});
