import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack, type App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { acknowledgedIds, COMPLIANCE_PLUGIN_NAMES, LIBRARY_ACKNOWLEDGMENTS, openFindings, reportedPlugins } from '@zero-trust/platform-constructs';
import { ACKNOWLEDGMENTS } from '../../lib/compliance/acknowledgments';
import { buildPlatformApp } from '../../lib/platform-app';
import type { PlatformStage } from '../../lib/platform-stage';
import { helmReleases, kubernetesObjects, objectOf, objectsOfKind, validateAgainstSchema } from '../support/manifests';
import { namespaceQuotaFit } from '../support/capacity';
import { cfnLintErrors } from '../support/cfn-lint';
import { podTemplateSpec, restrictedViolations } from '../support/pod-security';
import { createTestApp, VALIDATION_CACHE_DIRECTORY } from '../support/test-app';
import { FULL_PLATFORM } from '../support/platform-contexts';

/**
 * The whole platform as `cdk synth` builds it, with aws-cdk-lib's built-in CloudFormation
 * validation ON (the one checked full synth), for dev (env-agnostic) and prod (pinned
 * account, region and AZs), plus the delivery pipeline (a tooling account deploying prod),
 * so every acknowledgment in the registry is exercised.
 */
describe('the platform app', () => {
  let app: App;
  let stages: PlatformStage[];
  let assemblyDirectory: string;
  let templateFiles: string[];

  beforeAll(() => {
    app = createTestApp({ builtinValidation: true, context: FULL_PLATFORM });
    stages = buildPlatformApp(app, { validationCacheDirectory: VALIDATION_CACHE_DIRECTORY });
    assemblyDirectory = app.synth().directory; // throws on dependency cycles or failed validation
    templateFiles = fs.readdirSync(assemblyDirectory, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => path.join(assemblyDirectory, f));
  });

  test('builds one stage per selected environment, each split into stacks by lifecycle', () => {
    expect(stages.map((s) => s.stageName)).toEqual(['Dev', 'Prod']);
    for (const stage of stages) {
      expect(stage.network.stackName).toBe(`${stage.config.name}-network`);
      expect(stage.cluster.stackName).toBe(`${stage.config.name}-cluster`);
      expect(stage.cluster.dependencies).toContain(stage.network);
      expect(stage.data.stackName).toBe(`${stage.config.name}-data`);
      expect(stage.data.dependencies).toContain(stage.network);
      expect(stage.workloads.stackName).toBe(`${stage.config.name}-workloads`);
      expect(stage.workloads.dependencies).toEqual(expect.arrayContaining([stage.data, stage.cluster]));
      expect(stage.observability.stackName).toBe(`${stage.config.name}-observability`);
      expect(stage.observability.dependencies).toEqual(expect.arrayContaining([stage.workloads, stage.data, stage.cluster]));
    }
  });

  test('has zero unacknowledged findings over all plugins', () => {
    expect(openFindings(assemblyDirectory)).toEqual([]);
  });

  test('the validation report shows all five compliance plugins', () => {
    expect(reportedPlugins(assemblyDirectory)).toEqual(expect.arrayContaining([...COMPLIANCE_PLUGIN_NAMES]));
  });

  test('every acknowledgment, of the library and of the app registry, is used, with its reason recorded at a construct', () => {
    const report = JSON.parse(fs.readFileSync(path.join(assemblyDirectory, 'validation-report.json'), 'utf8'));
    const suppressed: { acknowledgedId: string; reason: string; acknowledgedAt: string }[] =
      report.pluginReports.flatMap((p: { suppressedViolations?: unknown[] }) => p.suppressedViolations ?? []);
    const used = new Set(suppressed.map((s) => `${s.reason}\n${s.acknowledgedId}`));
    const all = app.node.findAll();
    const registries = { library: LIBRARY_ACKNOWLEDGMENTS, app: ACKNOWLEDGMENTS };
    const registryIds = new Set<string>();
    const computedNone: string[] = [];
    for (const [registry, acknowledgments] of Object.entries(registries)) {
      for (const ack of acknowledgments) {
        // Every entry selects constructs, and every id it attaches (computed per selected construct
        // when `ids` is a function) suppresses at least one finding somewhere in the full app.
        const selected = all.filter((c) => ack.appliesTo(c));
        const ids = new Set(selected.flatMap((c) => acknowledgedIds(ack, c)));
        ids.forEach((id) => registryIds.add(id));
        expect({ registry, scope: ack.scope, selectsSomething: selected.length > 0 }).toEqual({ registry, scope: ack.scope, selectsSomething: true });
        if (ids.size === 0) computedNone.push(ack.scope);
        expect({ registry, scope: ack.scope, unused: [...ids].filter((id) => !used.has(`${ack.reason}\n${id}`)) }).toEqual({ registry, scope: ack.scope, unused: [] });
      }
    }
    // The one entry whose finding depends on the app's aws-cdk-lib: AwsSolutions-L1 fires only when
    // it knows a Node.js runtime newer than nodejs24.x (not 2.276.0 here; npm run test:consumer
    // installs the newest aws-cdk-lib, where it does).
    expect(computedNone).toEqual([
      "the DatabaseBootstrap handler Lambda, its CDK provider framework Lambda (framework-onEvent), the framework Lambda of PlatformCluster's kubectl provider and the AwsCustomResource function of an S3PrefixList, when the app's aws-cdk-lib knows a Node.js runtime newer than theirs",
    ]);
    const reasons = new Set([...LIBRARY_ACKNOWLEDGMENTS, ...ACKNOWLEDGMENTS].map((a) => a.reason));
    expect(suppressed.length).toBeGreaterThan(0);
    for (const s of suppressed.filter((x) => registryIds.has(x.acknowledgedId))) {
      expect(reasons).toContain(s.reason);
      // a construct inside a stack, never a stage or a stack itself
      expect(s.acknowledgedAt.split('/').length).toBeGreaterThan(2);
    }
  });

  test('no nested stacks: the template plugins see every resource', () => {
    for (const file of templateFiles) {
      expect(Object.values(JSON.parse(fs.readFileSync(file, 'utf8')).Resources).filter((r) => (r as { Type: string }).Type === 'AWS::CloudFormation::Stack')).toEqual([]);
    }
  });

  test('every template keeps headroom under CloudFormation limits (250 resources, 512 KB)', () => {
    for (const file of templateFiles) {
      const template = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect({ file: path.basename(file), resources: Object.keys(template.Resources).length < 250 }).toEqual({ file: path.basename(file), resources: true });
      expect(fs.statSync(file).size).toBeLessThan(512 * 1024);
    }
  });

  test('synth is hermetic: no context had to be looked up', () => {
    const manifests = fs.readdirSync(assemblyDirectory, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('manifest.json'));
    for (const manifest of manifests) {
      expect(JSON.parse(fs.readFileSync(path.join(assemblyDirectory, manifest), 'utf8')).missing ?? []).toEqual([]);
    }
  });

  test('cfn-lint reports zero errors on every template', () => {
    const { byTemplate, other } = cfnLintErrors(templateFiles);
    for (const file of templateFiles) {
      expect({ file: path.basename(file), errors: byTemplate.get(file) }).toEqual({ file: path.basename(file), errors: [] });
    }
    expect(other).toEqual([]);
  });

  test('prod is pinned to its account, region and AZs, with termination protection', () => {
    const prod = stages[1];
    expect(prod.network.account).toBe('123456789012');
    expect(prod.network.region).toBe('eu-west-1');
    expect(prod.network.terminationProtection).toBe(true);
    const azs = Object.values(Template.fromStack(prod.network).findResources('AWS::EC2::Subnet')).map((s) => s.Properties.AvailabilityZone);
    expect(new Set(azs)).toEqual(new Set(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']));
  });

  test('dev stays environment-agnostic', () => {
    expect(stages[0].network.resolve(stages[0].network.account)).toEqual({ Ref: 'AWS::AccountId' });
  });

  test('every stack carries the ownership and classification tags', () => {
    for (const stage of stages) {
      for (const stack of [stage.network, stage.data, stage.cluster, stage.workloads]) {
        expect(stack.tags.tagValues()).toMatchObject({
          owner: stage.config.tags.owner,
          'cost-center': stage.config.tags.costCenter,
          'data-classification': stage.config.tags.dataClassification,
          'platform:environment': stage.config.envName,
        });
      }
    }
  });

  test('the mesh is zero-trust in every stage: STRICT mTLS, allow-nothing, REGISTRY_ONLY, and no PERMISSIVE/DISABLE in any manifest or Helm values', () => {
    for (const stage of stages) {
      const stacks = stage.node.children.filter((c): c is Stack => c instanceof Stack);
      const templates = stacks.map((stack) => Template.fromStack(stack));
      const objects = templates.flatMap(kubernetesObjects);
      const values = templates.flatMap((t) => helmReleases(t)).map((r) => r.values);
      expect(JSON.stringify([objects, values])).not.toMatch(/PERMISSIVE|"DISABLE"/);
      expect(objectOf(objects, 'PeerAuthentication', 'default')).toMatchObject({ metadata: { namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } });
      expect(objectOf(objects, 'AuthorizationPolicy', 'allow-nothing').spec).toEqual({});
      expect(helmReleases(Template.fromStack(stage.cluster)).find((r) => r.chart === 'istiod')!.values.meshConfig.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
    }
  });

  test('every application namespace is Pod Security restricted, meshed, quota-bound and default-denied', () => {
    for (const stage of stages) {
      const objects = kubernetesObjects(Template.fromStack(stage.cluster));
      for (const { name } of stage.config.cluster.namespaces) {
        expect(objectOf(objects, 'Namespace', name).metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted', 'istio-injection': 'enabled' });
        const inNamespace = objects.filter((o) => o.metadata.namespace === name);
        expect(objectsOfKind(inNamespace, 'ResourceQuota')).toHaveLength(1);
        expect(objectsOfKind(inNamespace, 'LimitRange')).toHaveLength(1);
        expect(objectOf(inNamespace, 'NetworkPolicy', 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      }
      expect(Object.keys(stage.cluster.namespaces)).toEqual(stage.config.cluster.namespaces.map((n) => n.name));
    }
  });

  test('every Kubernetes object of the Cluster and Workloads stacks matches its upstream schema', () => {
    for (const stack of [stages[0].cluster, stages[0].workloads]) {
      for (const object of kubernetesObjects(Template.fromStack(stack))) validateAgainstSchema(object);
    }
  });

  test('every pod template applied to the cluster passes Pod Security "restricted", in a guarded namespace', () => {
    for (const stage of stages) {
      const guarded = stage.config.cluster.namespaces.map((n) => n.name);
      const objects = [stage.cluster, stage.workloads].flatMap((stack) => kubernetesObjects(Template.fromStack(stack)));
      const withPods = objects.filter((o) => podTemplateSpec(o));
      expect(withPods.length).toBeGreaterThan(0);
      for (const object of withPods) {
        expect({ object: `${object.kind}/${object.metadata.name}`, violations: restrictedViolations(podTemplateSpec(object)!) })
          .toEqual({ object: `${object.kind}/${object.metadata.name}`, violations: [] });
        expect(guarded).toContain(object.metadata.namespace);
      }
    }
  });

  test('each application namespace quota holds its services at full scale in the middle of a rollout', () => {
    for (const stage of stages) {
      for (const fit of namespaceQuotaFit(stage)) expect(fit).toMatchObject({ fits: true });
    }
  });

  test('each stage builds its network, cluster and service to its config: sizes, versions, retention, removal policy', () => {
    for (const stage of stages) {
      const { network, cluster, workloads, removalPolicy } = stage.config;
      const networkTemplate = Template.fromStack(stage.network);
      networkTemplate.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: network.vpcCidr });
      networkTemplate.resourceCountIs('AWS::EC2::Subnet', 3 * (network.availabilityZones?.length ?? network.maxAzs));
      networkTemplate.resourceCountIs('AWS::EC2::NatGateway', network.natGateways);
      networkTemplate.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: network.flowLogRetentionDays });

      const clusterTemplate = Template.fromStack(stage.cluster);
      clusterTemplate.hasResourceProperties('AWS::EKS::Cluster', {
        Version: cluster.kubernetesVersion,
        ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: cluster.endpointAccess === 'public-and-private' }),
      });
      const { instanceTypes, minSize, desiredSize, maxSize, diskSizeGiB } = cluster.nodePool;
      clusterTemplate.hasResourceProperties('AWS::EKS::Nodegroup', { InstanceTypes: instanceTypes, ScalingConfig: { MinSize: minSize, DesiredSize: desiredSize, MaxSize: maxSize } });
      clusterTemplate.hasResourceProperties('AWS::EC2::LaunchTemplate', {
        LaunchTemplateData: Match.objectLike({ BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ VolumeSize: diskSizeGiB }) })] }),
      });
      for (const [id, group] of Object.entries(clusterTemplate.findResources('AWS::Logs::LogGroup'))) {
        // Container logs keep observability.logRetentionDays; the cluster's own, the control plane's.
        const retention = id.startsWith('ContainerLogs') ? stage.config.observability.logRetentionDays : cluster.controlPlaneLogRetentionDays;
        expect({ id, retention: group.Properties.RetentionInDays }).toEqual({ id, retention });
      }
      const objects = kubernetesObjects(clusterTemplate);
      for (const { name, quota } of cluster.namespaces) {
        expect(objectOf(objects.filter((o) => o.metadata.namespace === name), 'ResourceQuota', 'quota').spec.hard)
          .toMatchObject({ 'requests.cpu': String(quota.cpu), 'requests.memory': `${quota.memoryGiB}Gi`, pods: String(quota.pods) });
      }

      const sample = workloads.sample;
      const autoscaler = objectOf(kubernetesObjects(Template.fromStack(stage.workloads)), 'HorizontalPodAutoscaler', 'orders');
      expect(autoscaler.metadata.namespace).toBe(sample.namespace);
      expect(autoscaler.spec).toMatchObject({ minReplicas: sample.minReplicas, maxReplicas: sample.maxReplicas });

      // Keys and log groups cannot be snapshotted: retained unless config says destroy.
      const deletionPolicy = removalPolicy === 'destroy' ? 'Delete' : 'Retain';
      for (const template of [networkTemplate, clusterTemplate]) {
        for (const type of ['AWS::KMS::Key', 'AWS::Logs::LogGroup']) {
          for (const [id, resource] of Object.entries(template.findResources(type))) {
            expect({ stage: stage.stageName, id, deletionPolicy: resource.DeletionPolicy }).toEqual({ stage: stage.stageName, id, deletionPolicy });
          }
        }
      }
    }
  });

  // Changing any of these ids (or the names derived from construct paths) makes CloudFormation
  // replace the resource: the VPC under everything, the cluster, or the keys its secrets and
  // volumes are encrypted with. A failure here is a replacement review. (The data stack's and the
  // sample repository's are frozen in test/lib/stacks.)
  test('logical ids of the stateful network and cluster resources, and the names derived from their paths, are frozen', () => {
    const [dev] = stages;
    const ids = (stack: Stack, type: string) => Object.keys(Template.fromStack(stack).findResources(type)).sort();
    expect({
      vpc: ids(dev.network, 'AWS::EC2::VPC'),
      subnets: ids(dev.network, 'AWS::EC2::Subnet'),
      networkKeys: ids(dev.network, 'AWS::KMS::Key'),
      networkLogGroups: ids(dev.network, 'AWS::Logs::LogGroup'),
      cluster: ids(dev.cluster, 'AWS::EKS::Cluster'),
      nodegroup: ids(dev.cluster, 'AWS::EKS::Nodegroup'),
      clusterKeys: ids(dev.cluster, 'AWS::KMS::Key'),
      clusterLogGroups: ids(dev.cluster, 'AWS::Logs::LogGroup'),
      metricsWorkspace: ids(dev.cluster, 'AWS::APS::Workspace'),
      emfLogGroupName: Template.fromStack(dev.cluster).findResources('AWS::Logs::LogGroup').MetricsCollectorEmfLogs7A1D0F6C?.Properties.LogGroupName,
      flowLogGroupName: Template.fromStack(dev.network).findResources('AWS::Logs::LogGroup').NetworkFlowLogGroup4F8CEEEF?.Properties.LogGroupName,
    }).toEqual({
      vpc: ['NetworkVpc7FB7348F'],
      subnets: [
        'NetworkVpcDataSubnet1SubnetC4E2CA79', 'NetworkVpcDataSubnet2Subnet1DE78234',
        'NetworkVpcIngressSubnet1SubnetF94D8815', 'NetworkVpcIngressSubnet2Subnet90F4F621',
        'NetworkVpcWorkloadsSubnet1Subnet2565F861', 'NetworkVpcWorkloadsSubnet2Subnet612C785B',
      ],
      networkKeys: ['NetworkFlowLogKeyF785E5F9'],
      networkLogGroups: ['CustomVpcRestrictDefaultSGCustomResourceProviderLogs41F6175A', 'NetworkFlowLogGroup4F8CEEEF', 'NetworkS3PrefixListLogs5DDE07CE'],
      cluster: ['PlatformCluster6842C9C4'],
      nodegroup: ['PlatformClusterNodegroupNodesE3A2E09A'],
      clusterKeys: ['ContainerLogsKey37722B9E', 'MetricsCollectorKey54D80A64', 'MetricsKeyF8490DEA', 'PlatformNodeVolumeKey9EF22B68', 'PlatformSecretsKey34DD3095', 'RegistryKey1053ED4C', 'RegistryLogKeyBB556CA6'],
      clusterLogGroups: [
        'ContainerLogsApplicationLogGroupA393ED94', 'ContainerLogsMeshAccessLogGroup7809E016', 'ContainerLogsPlatformLogGroupA3C66FD7',
        'MetricsCollectorEmfLogs7A1D0F6C', 'MetricsLogs8AE94F62',
        'PlatformClusterKubectlProviderHandlerLogsBC150339', 'PlatformClusterKubectlProviderframeworkonEventLogs9051180E', 'PlatformControlPlaneLogs39CE629E',
        'RegistryChartMirrorHandlerLogs45D24B60', 'RegistryChartMirrorProviderLogsAA6A7BCC',
      ],
      metricsWorkspace: ['Metrics6DBDA108'],
      emfLogGroupName: '/ztp-dev/metrics/emf',
      flowLogGroupName: '/aws/vpc/flowlogs/ztpdevnetwork-Network-87632A69',
    });
    Template.fromStack(dev.cluster).hasResourceProperties('AWS::EKS::Cluster', { Name: 'ztpdevcluster-platform-64331cfb' });
    Template.fromStack(dev.cluster).hasResourceProperties('AWS::APS::Workspace', { Alias: 'ztpdevcluster-Metrics-7D06D4E0' });
  });
});
