import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  annotatedPodsScrapeConfiguration, cloudWatchMetricName, MetricsCollector, MetricsWorkspace, NODE_READY_METRIC, PLATFORM_METRICS_NAMESPACE,
} from '../../../constructs/observability';
import { podIdentityTrustStatements } from '../../support/pod-identity';
import { helmReleases, kubernetesObjects, objectOf, objectsOfKind, validateAgainstSchema, type HelmRelease, type KubernetesObject } from '../../support/manifests';
import { synthWithGate } from '../../support/test-app';
import { meshTestCluster } from '../mesh/mesh-test-cluster';

const METRICS = ['orders_created_total', 'idempotent_replays_total', 'outbox_backlog'];
type Config = Record<string, any>;

describe('MetricsCollector', () => {
  let stack: Stack;
  let collector: MetricsCollector;
  let template: Template;
  let agent: HelmRelease;
  let cluster: HelmRelease;
  let objects: KubernetesObject[];
  let findings: ReturnType<typeof synthWithGate>['findings'];
  const agentConfig = (): Config => agent.values.alternateConfig;
  const clusterConfig = (): Config => cluster.values.alternateConfig;
  const logicalId = (prefix: string, type: string) => {
    const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
    expect(ids).toHaveLength(1);
    return ids[0];
  };

  beforeAll(() => {
    // GIVEN a cluster and a metrics workspace; WHEN the collector is installed and synthesized through the gate
    const built = meshTestCluster('Collect');
    stack = built.stack;
    const workspace = new MetricsWorkspace(stack, 'Metrics');
    collector = new MetricsCollector(stack, 'Collector', { cluster: built.cluster, vpc: built.vpc, workspace, cloudWatchMetrics: METRICS, metricsPorts: [15020, 8090] });
    findings = synthWithGate(built.app).findings;
    template = Template.fromStack(stack);
    const releases = helmReleases(template);
    agent = releases.find((r) => r.release === 'metrics-agent')!;
    cluster = releases.find((r) => r.release === 'metrics-cluster')!;
    objects = kubernetesObjects(template);
  });

  test('the compliance gate has no open findings', () => {
    expect(findings).toEqual([]);
  });

  test('two releases of the pinned opentelemetry-collector chart and contrib image, in namespace metrics', () => {
    for (const release of [agent, cluster]) {
      expect(release).toMatchObject({
        chart: 'opentelemetry-collector', repository: 'https://open-telemetry.github.io/opentelemetry-helm-charts', version: '0.170.0', namespace: 'metrics', createNamespace: false,
      });
      expect(release.values.image).toEqual({ repository: 'otel/opentelemetry-collector-contrib', tag: '0.158.0', pullPolicy: 'IfNotPresent' });
    }
    expect(agent.values.mode).toBe('daemonset');
    // Exactly one instance collects cluster state: one replica, no leader election.
    expect(cluster.values).toMatchObject({ mode: 'deployment', replicaCount: 1, presets: { clusterMetrics: { enabled: true } } });
    expect(cluster.values.presets.clusterMetrics.disableLeaderElection).toBeUndefined();
    expect(Object.keys(clusterConfig().extensions)).toEqual(['health_check', 'sigv4auth']);
  });

  test('Pod Security "restricted" outside the mesh: no host network, ports, paths or extra volumes', () => {
    expect(objectOf(objects, 'Namespace', 'metrics').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.36', 'istio-injection': 'disabled',
    });
    for (const release of [agent, cluster]) {
      expect(release.values.podSecurityContext).toEqual({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
      expect(release.values.securityContext).toEqual({
        allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(release.values.hostNetwork).toBe(false);
      expect(Object.values(release.values.ports).every((port: any) => port.enabled === false)).toBe(true);
      expect(release.values.service).toEqual({ enabled: false });
      // The presets that mount host paths (logs, host metrics, profiling) stay off; no volumes of our own.
      expect(Object.keys(release.values.presets)).toEqual([release === agent ? 'kubeletMetrics' : 'clusterMetrics']);
      expect(release.values.extraVolumes).toBeUndefined();
    }
  });

  test('each agent scrapes the platform job on its own node only, with the labels rollout analysis queries', () => {
    const scrape = agentConfig().receivers.prometheus.config;
    const [job] = scrape.scrape_configs;
    expect(scrape.scrape_configs).toHaveLength(1);
    expect(job.job_name).toBe('annotated-pods');
    expect(job.kubernetes_sd_configs).toEqual([{ role: 'pod', selectors: [{ role: 'pod', field: 'spec.nodeName=${env:K8S_NODE_NAME}' }] }]);
    // The shared configuration, `$` escaped for the collector's variable expansion, nothing else changed.
    const shared = annotatedPodsScrapeConfiguration(30) as Config;
    expect(scrape.global).toEqual(shared.global);
    expect(JSON.stringify(job.relabel_configs)).toBe(JSON.stringify(shared.scrape_configs[0].relabel_configs).replace(/\$/g, '$$$$'));
    expect(job.relabel_configs).toContainEqual(expect.objectContaining({ replacement: '$$1:$$2', target_label: '__address__' }));
    const labels = job.relabel_configs.map((r: Config) => r.target_label).filter((l: string | undefined) => l && !l.startsWith('__'));
    expect(labels).toEqual(['namespace', 'pod', 'app', 'version', 'rollouts_pod_template_hash']);
    expect(agentConfig().receivers.kubeletstats).toEqual({
      auth_type: 'serviceAccount', endpoint: '${env:K8S_NODE_IP}:10250', insecure_skip_verify: false, collection_interval: '30s', metric_groups: ['node', 'pod', 'container'],
    });
  });

  test('remote write to the one workspace, SigV4 for aps, retries and queue bounded, scraped series kept as Prometheus stores them', () => {
    const endpoint = `{{GetAtt:${logicalId('Metrics', 'AWS::APS::Workspace')}.PrometheusEndpoint}}api/v1/remote_write`;
    for (const config of [agentConfig(), clusterConfig()]) {
      expect(config.extensions.sigv4auth).toEqual({ region: '{{Ref:AWS::Region}}', service: 'aps' });
      expect(config.service.extensions).toEqual(['health_check', 'sigv4auth']);
    }
    const exporters = agentConfig().exporters;
    const bounded = {
      endpoint, auth: { authenticator: 'sigv4auth' }, target_info: { enabled: false }, timeout: '15s',
      retry_on_failure: { enabled: true, initial_interval: '5s', max_interval: '30s', max_elapsed_time: '300s' },
      remote_write_queue: { enabled: true, queue_size: 2000, num_consumers: 4 },
    };
    // No resource attributes as labels and no suffixes added: job, instance and the scrape's labels only.
    expect(exporters['prometheusremotewrite/pods']).toEqual({ ...bounded, add_metric_suffixes: false, resource_to_telemetry_conversion: { enabled: false } });
    // Kubernetes metrics name their node/pod/container by resource attributes: those become labels.
    expect(exporters['prometheusremotewrite/kubernetes']).toEqual({ ...bounded, add_metric_suffixes: true, resource_to_telemetry_conversion: { enabled: true } });
    expect(clusterConfig().exporters['prometheusremotewrite/kubernetes']).toEqual(exporters['prometheusremotewrite/kubernetes']);
    expect(agentConfig().service.pipelines['metrics/pods']).toEqual({ receivers: ['prometheus'], processors: ['memory_limiter', 'batch'], exporters: ['prometheusremotewrite/pods'] });
    expect(agentConfig().service.pipelines.metrics).toEqual({ receivers: ['kubeletstats'], processors: ['memory_limiter', 'batch'], exporters: ['prometheusremotewrite/kubernetes'] });
  });

  test('every pipeline starts with memory_limiter and ends with batch', () => {
    for (const config of [agentConfig(), clusterConfig()]) {
      for (const pipeline of Object.values<Config>(config.service.pipelines)) {
        expect(pipeline.processors[0]).toBe('memory_limiter');
        expect(pipeline.processors.at(-1)).toBe('batch');
      }
      expect(config.processors.memory_limiter).toEqual({ check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 25 });
    }
    expect(agent.values.resources.limits.memory).toBe('512Mi');
    expect(cluster.values.resources.limits.memory).toBe('256Mi');
  });

  test('selected service metrics to CloudWatch: namespace, dimensions ClusterName/Namespace/Service, the construct\'s log group', () => {
    const config = agentConfig();
    const logGroupName = template.findResources('AWS::Logs::LogGroup')[logicalId('CollectorEmfLogs', 'AWS::Logs::LogGroup')].Properties.LogGroupName;
    expect(logGroupName).toMatch(/^\/Collect-Collector-[0-9A-F]{8}\/metrics\/emf$/);
    expect(config.exporters.awsemf).toEqual({
      region: '{{Ref:AWS::Region}}',
      namespace: PLATFORM_METRICS_NAMESPACE,
      log_group_name: logGroupName,
      log_stream_name: '${env:OTEL_K8S_POD_NAME}',
      output_destination: 'cloudwatch',
      version: '1',
      dimension_rollup_option: 'NoDimensionRollup',
      resource_to_telemetry_conversion: { enabled: false },
      retain_initial_value_of_delta_metric: false,
      metric_declarations: [{ dimensions: [['ClusterName', 'Namespace', 'Service']], metric_name_selectors: ['^orders_created_total$', '^idempotent_replays_total$', '^outbox_backlog$'] }],
    });
    expect(config.processors['filter/cloudwatch'].metrics).toEqual({
      metric: ['not IsMatch(name, "^(orders_created_total|idempotent_replays_total|outbox_backlog)$")'],
      datapoint: ['attributes["namespace"] == nil or attributes["app"] == nil'],
    });
    const clusterName = `{{Ref:${logicalId('PlatformCluster', 'AWS::EKS::Cluster')}}}`;
    expect(config.processors['transform/cloudwatch'].metric_statements).toEqual([{
      context: 'datapoint',
      statements: [`set(attributes["ClusterName"], "${clusterName}")`, 'set(attributes["Namespace"], attributes["namespace"])', 'set(attributes["Service"], attributes["app"])'],
    }]);
    expect(config.service.pipelines['metrics/cloudwatch']).toEqual({
      receivers: ['prometheus'], processors: ['memory_limiter', 'filter/cloudwatch', 'transform/cloudwatch', 'batch'], exporters: ['awsemf'],
    });
  });

  test('node readiness from the one cluster collector: Ready only, unknown is not ready, dimension ClusterName only', () => {
    const config = clusterConfig();
    expect(config.receivers.k8s_cluster).toMatchObject({ auth_type: 'serviceAccount', node_conditions_to_report: ['Ready'], collection_interval: '30s' });
    expect(config.receivers.k8s_cluster.k8s_leader_elector).toBeUndefined();
    expect(config.processors['filter/node-ready'].metrics.metric).toEqual(['name != "k8s.node.condition_ready"']);
    expect(config.processors['transform/node-ready'].metric_statements).toEqual([
      { context: 'metric', statements: [`set(name, "${NODE_READY_METRIC}") where name == "k8s.node.condition_ready"`] },
      { context: 'datapoint', statements: ['set(value_int, 0) where value_int < 0', expect.stringMatching(/^set\(attributes\["ClusterName"\], "\{\{Ref:PlatformCluster/), 'set(attributes["NodeName"], resource.attributes["k8s.node.name"])'] },
    ]);
    expect(config.exporters.awsemf).toMatchObject({ namespace: PLATFORM_METRICS_NAMESPACE, dimension_rollup_option: 'NoDimensionRollup', metric_declarations: [{ dimensions: [['ClusterName']], metric_name_selectors: ['^node_ready$'] }] });
    expect(config.service.pipelines).toEqual({
      'metrics': { receivers: ['k8s_cluster'], processors: ['memory_limiter', 'batch'], exporters: ['prometheusremotewrite/kubernetes'] },
      'metrics/cloudwatch': { receivers: ['k8s_cluster'], processors: ['memory_limiter', 'filter/node-ready', 'transform/node-ready', 'batch'], exporters: ['awsemf'] },
    });
    // Off a lost node fast, so readiness keeps being reported.
    expect(cluster.values.tolerations).toEqual(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 })));
  });

  test('one Pod Identity role for both service accounts: remote write to this workspace, write to this log group, nothing else', () => {
    for (const serviceAccount of ['metrics-agent', 'metrics-cluster']) {
      template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: 'metrics', ServiceAccount: serviceAccount, RoleArn: { 'Fn::GetAtt': [logicalId('CollectorRole', 'AWS::IAM::Role'), 'Arn'] } });
    }
    const role = template.findResources('AWS::IAM::Role')[logicalId('CollectorRole', 'AWS::IAM::Role')];
    template.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: podIdentityTrustStatements('metrics', ['metrics-agent', 'metrics-cluster']) } });
    expect(role.Properties.Policies).toBeUndefined();
    const policies = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).filter(([id]) => id.startsWith('Collector'));
    expect(policies).toHaveLength(1);
    expect(policies[0][1].Properties.Roles).toEqual([{ Ref: logicalId('CollectorRole', 'AWS::IAM::Role') }]);
    expect(policies[0][1].Properties.PolicyDocument.Statement).toEqual([
      { Action: 'aps:RemoteWrite', Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalId('Metrics', 'AWS::APS::Workspace'), 'Arn'] } },
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        Effect: 'Allow',
        // The group itself, and its streams (the Arn attribute is `...:log-group:<name>:*`).
        Resource: [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:', { Ref: logicalId('CollectorEmfLogs', 'AWS::Logs::LogGroup') }]] },
          { 'Fn::GetAtt': [logicalId('CollectorEmfLogs', 'AWS::Logs::LogGroup'), 'Arn'] },
        ],
      },
    ]);
    // Nothing account-wide: no group creation, no PutMetricData (EMF goes through the log group).
    expect(JSON.stringify(policies[0][1].Properties.PolicyDocument)).not.toMatch(/CreateLogGroup|PutRetentionPolicy|cloudwatch:|"\*"/);
  });

  test('the log group is encrypted with a rotating key that CloudWatch Logs may use for this log group only', () => {
    const logGroupId = logicalId('CollectorEmfLogs', 'AWS::Logs::LogGroup');
    const keyId = logicalId('CollectorKey', 'AWS::KMS::Key');
    const logGroup = template.findResources('AWS::Logs::LogGroup')[logGroupId].Properties;
    expect(logGroup).toMatchObject({ KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] }, RetentionInDays: 365 });
    const key = template.findResources('AWS::KMS::Key')[keyId];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    const logsStatements = key.Properties.KeyPolicy.Statement.filter((s: Config) => JSON.stringify(s.Principal ?? {}).includes('logs.'));
    expect(logsStatements).toEqual([expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
      Condition: {
        ArnEquals: {
          'kms:EncryptionContext:aws:logs:arn': [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:log-group:${logGroup.LogGroupName}`]] }],
        },
      },
    })]);
  });

  test('NetworkPolicies: default deny, DNS, the Pod Identity agent, HTTPS in the VPC; the agents also the kubelet and the metrics ports', () => {
    const policies = objectsOfKind(objects, 'NetworkPolicy').filter((p) => p.metadata.namespace === 'metrics');
    for (const policy of policies) validateAgainstSchema(policy);
    expect(policies.map((p) => p.metadata.name)).toEqual(['default-deny', 'allow-dns', 'allow-pod-identity-agent', 'allow-https-egress', 'allow-kubelet-egress', 'allow-scrape-egress']);
    const vpc = { ipBlock: { cidr: expect.stringMatching(/^\{\{GetAtt:NetworkVpc[0-9A-F]+\.CidrBlock\}\}$/) } };
    const spec = (name: string) => objectOf(policies, 'NetworkPolicy', name).spec;
    expect(spec('default-deny')).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    // No policy admits any ingress.
    expect(policies.flatMap((p) => p.spec.ingress ?? [])).toEqual([]);
    expect(spec('allow-pod-identity-agent')).toEqual({ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '169.254.170.23/32' } }], ports: [{ protocol: 'TCP', port: 80 }] }] });
    expect(spec('allow-https-egress')).toEqual({ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [vpc], ports: [{ protocol: 'TCP', port: 443 }] }] });
    const agentPods = { matchLabels: { 'app.kubernetes.io/name': 'opentelemetry-collector', 'app.kubernetes.io/instance': 'metrics-agent' } };
    expect(spec('allow-kubelet-egress')).toEqual({ podSelector: agentPods, policyTypes: ['Egress'], egress: [{ to: [vpc], ports: [{ protocol: 'TCP', port: 10250 }] }] });
    expect(spec('allow-scrape-egress')).toEqual({ podSelector: agentPods, policyTypes: ['Egress'], egress: [{ to: [vpc], ports: [{ protocol: 'TCP', port: 15020 }, { protocol: 'TCP', port: 8090 }] }] });
    expect(collector.scrapeSource).toEqual({ namespace: 'metrics', podLabels: agentPods.matchLabels });
  });

  test('RBAC: the agents read pods and kubelet stats, the cluster collector the chart\'s read-only k8s_cluster rules', () => {
    expect(agent.values.clusterRole).toEqual({
      create: true, name: 'metrics-agent', clusterRoleBinding: { name: 'metrics-agent' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    });
    expect(agent.values.serviceAccount).toEqual({ create: true, name: 'metrics-agent', automountServiceAccountToken: true });
    expect(cluster.values.serviceAccount).toEqual({ create: true, name: 'metrics-cluster', automountServiceAccountToken: true });
    expect(cluster.values.clusterRole).toBeUndefined();
  });

  test('the charts wait for the namespace, the Pod Identity associations, the role\'s policy and the log group', () => {
    for (const release of [agent, cluster]) {
      expect(release.dependsOn).toEqual(expect.arrayContaining([
        expect.stringMatching(/^CollectorNamespace/), expect.stringMatching(/^CollectorAgentPodIdentity/), expect.stringMatching(/^CollectorClusterPodIdentity/),
        expect.stringMatching(/^CollectorPolicy/), expect.stringMatching(/^CollectorEmfLogs/),
      ]));
    }
  });

  test('CloudWatch names for dashboards: the exposition name, dimensions ClusterName/Namespace/Service; node readiness by Minimum', () => {
    expect(cloudWatchMetricName('orders_created_total')).toBe('orders_created_total');
    expect(() => cloudWatchMetricName('orders-created')).toThrow('cloudWatchMetricName: "orders-created" is not a Prometheus metric name.');
    const orders = stack.resolve(collector.metricService('orders_created_total', { namespace: 'orders', service: 'orders' }).toMetricConfig().metricStat);
    expect(orders).toMatchObject({ namespace: PLATFORM_METRICS_NAMESPACE, metricName: 'orders_created_total', statistic: 'Sum' });
    expect(orders.dimensions).toEqual([
      { name: 'ClusterName', value: { Ref: logicalId('PlatformCluster', 'AWS::EKS::Cluster') } }, { name: 'Namespace', value: 'orders' }, { name: 'Service', value: 'orders' },
    ]);
    expect(stack.resolve(collector.metricService('outbox_backlog', { namespace: 'orders', service: 'orders' }).toMetricConfig().metricStat)).toMatchObject({ statistic: 'Average' });
    expect(() => collector.metricService('cache_requests_total', { namespace: 'orders', service: 'orders' })).toThrow('metric "cache_requests_total" is not published to CloudWatch');
    expect(stack.resolve(collector.metricNodeReady().toMetricConfig().metricStat)).toMatchObject({ namespace: PLATFORM_METRICS_NAMESPACE, metricName: 'node_ready', statistic: 'Minimum', dimensions: [{ name: 'ClusterName', value: { Ref: logicalId('PlatformCluster', 'AWS::EKS::Cluster') } }] });
  });

  test('without cloudWatchMetrics the agents publish nothing to CloudWatch; a given key is bound to the log group too; the log group prefix', () => {
    const b = meshTestCluster('Plain');
    const key = new kms.Key(b.stack, 'OwnKey', { enableKeyRotation: true });
    const plain = new MetricsCollector(b.stack, 'Collector', { cluster: b.cluster, vpc: b.vpc, workspace: new MetricsWorkspace(b.stack, 'Metrics'), encryptionKey: key, logGroupPrefix: 'ztp-test' });
    const t = Template.fromStack(b.stack);
    const [plainAgent] = helmReleases(t).filter((r) => r.release === 'metrics-agent');
    expect(Object.keys(plainAgent.values.alternateConfig.exporters)).toEqual(['prometheusremotewrite/pods', 'prometheusremotewrite/kubernetes']);
    expect(Object.keys(plainAgent.values.alternateConfig.service.pipelines)).toEqual(['metrics', 'metrics/pods']);
    expect(plain.encryptionKey).toBe(key);
    t.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/ztp-test/metrics/emf' });
    expect(plainAgent.values.alternateConfig.exporters.awsemf).toBeUndefined();
    expect(t.findResources('AWS::KMS::Key')[Object.keys(t.findResources('AWS::KMS::Key')).find((id) => id.startsWith('OwnKey'))!].Properties.KeyPolicy.Statement)
      .toContainEqual(expect.objectContaining({ Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': [expect.anything()] } } }));
    const ports = objectsOfKind(kubernetesObjects(t), 'NetworkPolicy', 'allow-scrape-egress')[0].spec.egress[0].ports;
    expect(ports).toEqual([{ protocol: 'TCP', port: 15020 }]);
  });

  test.each<[string, Partial<ConstructorParameters<typeof MetricsCollector>[2]>, string]>([
    ['a version range', { chartVersion: '~0.170' }, 'chartVersion "~0.170" is not an exact version. Fix: pin a release such as "0.170.0" (no ranges).'],
    ['a 5 s scrape interval', { scrapeInterval: Duration.seconds(5) }, 'scrapeInterval 5s must be 10 to 60 whole seconds: rollout analysis reads rates over two of its 30s+ intervals. Fix: use e.g. Duration.seconds(30).'],
    ['no metrics ports', { metricsPorts: [] }, 'metricsPorts is empty: the agents could scrape nothing. Fix: pass at least ISTIO_MERGED_METRICS_PORT.'],
    ['the kubelet port as a metrics port', { metricsPorts: [10250] }, 'metricsPorts has 10250: must be a TCP port other than 443 and 10250 (always allowed for the API server and the kubelet).'],
    ['a metric name with a dash', { cloudWatchMetrics: ['orders-created'] }, 'cloudWatchMetrics has "orders-created", which is not a Prometheus metric name. Fix: use the name the service exposes, e.g. "orders_created_total".'],
    ['a histogram series', { cloudWatchMetrics: ['http_server_request_duration_seconds_bucket'] }, 'cloudWatchMetrics has "http_server_request_duration_seconds_bucket": a histogram or summary series, which the collector sees as part of a metric, never on its own. Fix: publish a counter or gauge.'],
    ['a log group prefix with a slash', { logGroupPrefix: 'ztp/dev' }, 'logGroupPrefix "ztp/dev" is not a log group name segment. Fix: 1 to 64 letters, digits, ".", "_" and "-", starting with a letter or digit.'],
    ['a metric listed twice', { cloudWatchMetrics: ['outbox_backlog', 'outbox_backlog'] }, 'cloudWatchMetrics lists ["outbox_backlog"] more than once. Fix: list each metric once.'],
  ])('refuses %s', (_, overrides, message) => {
    const b = meshTestCluster('Bad');
    const workspace = new MetricsWorkspace(b.stack, 'Metrics');
    expect(() => new MetricsCollector(b.stack, 'Collector', { cluster: b.cluster, vpc: b.vpc, workspace, ...overrides })).toThrow(`MetricsCollector Bad/Collector: ${message}`);
  });
});
