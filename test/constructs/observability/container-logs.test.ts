import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { ApplicationNamespace, POD_SECURITY_EXCEPTION_ANNOTATION } from '../../../constructs/cluster';
import { ContainerLogs, type ContainerLogsProps } from '../../../constructs/observability';
import { helmReleases, kubernetesObjects, objectOf, objectsOfKind, validateAgainstSchema, type HelmRelease, type KubernetesObject } from '../../support/manifests';
import { synthWithGate } from '../../support/test-app';
import { meshTestCluster } from '../mesh/mesh-test-cluster';
import { podIdentityTrustStatements } from '../../support/pod-identity';

const QUOTA = { cpu: 2, memoryGiB: 4, pods: 10 };
const LOG_GROUP_NAMES = ['/ztp-test/containers/application', '/ztp-test/containers/mesh-access', '/ztp-test/containers/platform'];

/** The `[OUTPUT]` sections of a Fluent Bit classic configuration, as key/value maps (keys lowercased). */
function outputSections(config: string): Record<string, string>[] {
  return config.split(/^\[OUTPUT\]$/m).slice(1).map((section) => Object.fromEntries(section.split('\n')
    .map((line) => /^\s+(\S+)\s+(.*\S)\s*$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1].toLowerCase(), m[2]])));
}

/** The tail tag of a container's log file, `<pod>_<namespace>_<container>-<container id>.log`. */
const tagOf = (pod: string, namespace: string, container: string) => `kube.var.log.containers.${pod}_${namespace}_${container}-${'0123456789abcdef'.repeat(4)}.log`;

describe('ContainerLogs', () => {
  let built: ReturnType<typeof meshTestCluster>;
  let template: Template;
  let release: HelmRelease;
  let objects: KubernetesObject[];
  let findings: ReturnType<typeof synthWithGate>['findings'];

  beforeAll(() => {
    // GIVEN a cluster; WHEN ContainerLogs is installed, and an application namespace is made AFTER it
    built = meshTestCluster('Logs');
    new ContainerLogs(built.stack, 'ContainerLogs', { cluster: built.cluster, logGroupPrefix: 'ztp-test', vpcCidr: '10.50.0.0/16' });
    new ApplicationNamespace(built.stack, 'Orders', { cluster: built.cluster, name: 'orders', quota: QUOTA });
    new ApplicationNamespace(built.stack, 'Payments', { cluster: built.cluster, name: 'payments', quota: QUOTA });
    // THEN, synthesized through the compliance gate
    findings = synthWithGate(built.app).findings;
    template = Template.fromStack(built.stack);
    release = helmReleases(template).find((r) => r.chart === 'aws-for-fluent-bit')!;
    objects = kubernetesObjects(template);
  });

  const outputs = () => outputSections(release.values.additionalOutputs);
  const keyPolicyStatements = () => Object.entries(template.findResources('AWS::KMS::Key'))
    .filter(([id]) => id.startsWith('ContainerLogsKey'))
    .flatMap(([, key]) => key.Properties.KeyPolicy.Statement as Record<string, any>[]);

  test('the compliance gate has no open findings', () => {
    expect(findings).toEqual([]);
  });

  test('the aws-for-fluent-bit chart at its pinned version, from the EKS charts repository, in its own namespace, with the pinned image', () => {
    expect(release).toMatchObject({
      chart: 'aws-for-fluent-bit', repository: 'https://aws.github.io/eks-charts', version: '0.2.0', release: 'fluent-bit', namespace: 'logging', createNamespace: false,
    });
    // Helm waits for the DaemonSet's rollout: a Fluent Bit that cannot start fails the deployment.
    expect(template.toJSON().Resources[release.logicalId].Properties.Wait).toBe(true);
    expect(release.values.image).toEqual({ repository: 'public.ecr.aws/aws-observability/aws-for-fluent-bit', tag: '3.2.1', pullPolicy: 'IfNotPresent' });
  });

  describe('log groups', () => {
    test('three, named /<prefix>/containers/<kind>, encrypted with the construct\'s rotating key, kept a year and retained', () => {
      const groups = Object.entries(template.findResources('AWS::Logs::LogGroup')).filter(([id]) => id.startsWith('ContainerLogs'));
      expect(groups.map(([, g]) => g.Properties.LogGroupName).sort()).toEqual(LOG_GROUP_NAMES);
      for (const [, group] of groups) {
        expect(group.Properties).toMatchObject({ KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^ContainerLogsKey/), 'Arn'] }, RetentionInDays: 365 });
        expect(group).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      }
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: Match.stringLikeRegexp('container logs') });
    });

    test('the key lets CloudWatch Logs use it for exactly these three log groups, not every log group of the account', () => {
      const forLogs = keyPolicyStatements().filter((s) => JSON.stringify(s.Principal ?? {}).includes('logs.'));
      expect(forLogs).toHaveLength(1);
      expect(forLogs[0].Condition).toEqual({
        ArnEquals: {
          'kms:EncryptionContext:aws:logs:arn': LOG_GROUP_NAMES.map((name) => ({
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:log-group:${name}`]],
          })),
        },
      });
      expect(JSON.stringify(keyPolicyStatements())).not.toMatch(/log-group:\*/);
    });

    test('their logical ids and the key\'s are frozen (changing one replaces the log group and its events)', () => {
      const ids = [...Object.keys(template.findResources('AWS::Logs::LogGroup')), ...Object.keys(template.findResources('AWS::KMS::Key'))].filter((id) => id.startsWith('ContainerLogs')).sort();
      expect(ids).toEqual([
        expect.stringMatching(/^ContainerLogsApplicationLogGroup[0-9A-F]{8}$/),
        expect.stringMatching(/^ContainerLogsKey[0-9A-F]{8}$/),
        expect.stringMatching(/^ContainerLogsMeshAccessLogGroup[0-9A-F]{8}$/),
        expect.stringMatching(/^ContainerLogsPlatformLogGroup[0-9A-F]{8}$/),
      ]);
      expect(ids).toMatchSnapshot();
    });
  });

  describe('identity', () => {
    test('Fluent Bit may only create streams in, write to and describe these three log groups, and never create a log group', () => {
      const policies = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).filter(([id]) => id.startsWith('ContainerLogs'));
      expect(policies).toHaveLength(1);
      expect(policies[0][1].Properties.PolicyDocument.Statement).toEqual([{
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        Effect: 'Allow',
        Resource: ['ContainerLogsApplicationLogGroup', 'ContainerLogsMeshAccessLogGroup', 'ContainerLogsPlatformLogGroup']
          .map((prefix) => ({ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${prefix}`)), 'Arn'] })),
      }]);
      expect(JSON.stringify(template.toJSON())).not.toContain('logs:CreateLogGroup');
      expect(Object.keys(template.findResources('AWS::IAM::Policy')).filter((id) => id.startsWith('ContainerLogs'))).toEqual([]);
    });

    test('through EKS Pod Identity, bound to the service account logging/fluent-bit', () => {
      template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
        Namespace: 'logging', ServiceAccount: 'fluent-bit', RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ContainerLogsRole'), 'Arn'] },
      });
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: podIdentityTrustStatements('logging', ['fluent-bit']) },
        Description: Match.stringLikeRegexp('^Fluent Bit \\(logging/fluent-bit\\)'),
      });
      expect(release.values.serviceAccount).toEqual({ create: true, name: 'fluent-bit', annotations: {} });
    });
  });

  describe('shipping', () => {
    test('exactly three outputs, cloudwatch_logs to the three log groups, none creating a log group; the chart\'s own outputs are off', () => {
      expect(outputs().map((o) => [o.name, o.alias, o.log_group_name, o.auto_create_group, o.region])).toEqual([
        ['cloudwatch_logs', 'application', LOG_GROUP_NAMES[0], 'false', '{{Ref:AWS::Region}}'],
        ['cloudwatch_logs', 'mesh-access', LOG_GROUP_NAMES[1], 'false', '{{Ref:AWS::Region}}'],
        ['cloudwatch_logs', 'platform', LOG_GROUP_NAMES[2], 'false', '{{Ref:AWS::Region}}'],
      ]);
      expect(outputs().every((o) => o.log_retention_days === undefined)).toBe(true);
      for (const destination of ['cloudWatch', 'cloudWatchLogs', 'firehose', 'kinesis', 'kinesis_streams', 'elasticsearch', 's3', 'opensearch']) {
        expect({ destination, enabled: release.values[destination].enabled }).toEqual({ destination, enabled: false });
      }
    });

    test('every container\'s log file goes to exactly one log group: applications, istio-proxy (sidecars and gateway), or platform', () => {
      const routes = outputs().map((o) => ({ group: o.alias, regex: new RegExp(o.match_regex) }));
      const groupsOf = (tag: string) => routes.filter((r) => r.regex.test(tag)).map((r) => r.group);
      const cases: [string, string, string, string][] = [
        ['orders-7d9f8c6b5-x2x9q', 'orders', 'orders', 'application'],
        ['orders-7d9f8c6b5-x2x9q', 'orders', 'istio-validation', 'application'],
        ['payments-0', 'payments', 'api', 'application'],
        ['orders-7d9f8c6b5-x2x9q', 'orders', 'istio-proxy', 'mesh-access'],
        ['ingress-gateway-5f7c9d-abcde', 'istio-ingress', 'istio-proxy', 'mesh-access'],
        ['coredns-6b9f4c7d5-q8w7e', 'kube-system', 'coredns', 'platform'],
        ['istiod-7c8d9e-fghij', 'istio-system', 'discovery', 'platform'],
        ['argo-rollouts-5c6d7e-klmno', 'argo-rollouts', 'argo-rollouts', 'platform'],
        ['fluent-bit-pqrst', 'logging', 'aws-for-fluent-bit', 'platform'],
        // Look-alikes: a namespace that only starts with an application's name, a container that only starts with istio-proxy.
        ['web-0', 'orders-archive', 'web', 'platform'],
        ['orders-0', 'orders', 'istio-proxy-helper', 'application'],
      ];
      expect(cases.map(([pod, ns, container]) => [ns, container, groupsOf(tagOf(pod, ns, container))]))
        .toEqual(cases.map(([, ns, container, group]) => [ns, container, [group]]));
    });

    test('the app\'s JSON fields land at the top level (Merge_Log on, no Merge_Log_Key, Keep_Log off), with the pod\'s metadata and labels', () => {
      expect(release.values.filter).toMatchObject({ enabled: true, match: 'kube.*', mergeLog: 'On', mergeLogKey: '', keepLog: 'Off' });
      expect(release.values.filter.extraFilters.split('\n').map((l: string) => l.split(/\s+/))).toEqual([
        ['Kube_Tag_Prefix', 'kube.var.log.containers.'], ['Labels', 'On'], ['Annotations', 'Off'], ['tls.verify', 'On'],
      ]);
      expect(release.values.input).toMatchObject({ tag: 'kube.*', path: '/var/log/containers/*.log', multilineParser: 'docker, cri' });
    });

    test('pods can neither exclude themselves from shipping nor pick a parser by annotation', () => {
      expect(release.values.filter).toMatchObject({ k8sLoggingExclude: 'Off', k8sLoggingParser: 'Off' });
    });

    test('the kubernetes filter reads pod metadata from the cluster\'s private API endpoint', () => {
      expect(release.values.filter.kubeURL).toMatch(/^\{\{GetAtt:PlatformCluster[0-9A-F]{8}\.Endpoint\}\}:443$/);
    });
  });

  describe('the DaemonSet', () => {
    test('runs as root only to read the root-owned log files: no capability, no privilege escalation, read-only root filesystem, seccomp', () => {
      expect(release.values.podSecurityContext).toEqual({ runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } });
      expect(release.values.containerSecurityContext).toEqual({
        privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsUser: 0, runAsNonRoot: false,
        capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      });
    });

    test('mounts the log directories read-only; only its own position directory is writable', () => {
      expect(release.values.volumes).toEqual([
        { name: 'varlogcontainers', hostPath: { path: '/var/log/containers', type: 'Directory' } },
        { name: 'varlogpods', hostPath: { path: '/var/log/pods', type: 'Directory' } },
        { name: 'state', hostPath: { path: '/var/fluent-bit/container-logs', type: 'DirectoryOrCreate' } },
      ]);
      expect(release.values.volumeMounts.filter((m: Record<string, unknown>) => m.readOnly !== true)).toEqual([{ name: 'state', mountPath: '/var/fluent-bit/container-logs' }]);
      expect(release.values.input.db).toBe('/var/fluent-bit/container-logs/flb_kube.db');
    });

    test('runs on every node (all taints tolerated) as system-node-critical, with requests and limits', () => {
      expect(release.values.tolerations).toEqual([{ operator: 'Exists' }]);
      expect(release.values.priorityClassName).toBe('system-node-critical');
      expect(release.values.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    });

    test('listens on no port: HTTP server off, the chart\'s liveness probe removed', () => {
      expect(release.values.service.extraService).toMatch(/^HTTP_Server\s+Off$/m);
      expect(release.values.livenessProbe).toBeNull();
    });
  });

  describe('namespace', () => {
    test('privileged (hostPath), recorded as an exception with its reason, outside the mesh', () => {
      const ns = objectOf(objects, 'Namespace', 'logging');
      expect(Object.entries(ns.metadata.labels!).filter(([k]) => !k.startsWith('aws.cdk.eks/prune-'))).toEqual(Object.entries({
        'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/enforce-version': 'v1.36',
        'pod-security.kubernetes.io/audit': 'privileged', 'pod-security.kubernetes.io/audit-version': 'v1.36',
        'pod-security.kubernetes.io/warn': 'privileged', 'pod-security.kubernetes.io/warn-version': 'v1.36',
        'istio-injection': 'disabled',
      }));
      expect(ns.metadata.annotations![POD_SECURITY_EXCEPTION_ANNOTATION]).toMatch(/hostPath.*\/var\/log\/containers.*read-only.*root/s);
    });

    test('NetworkPolicies: default deny; egress to DNS, the Pod Identity agent and HTTPS to the VPC CIDR only; no ingress', () => {
      const policies = objectsOfKind(objects, 'NetworkPolicy').filter((p) => p.metadata.namespace === 'logging');
      for (const policy of policies) validateAgainstSchema(policy);
      expect(policies.map((p) => p.metadata.name)).toEqual(['default-deny', 'allow-dns', 'allow-https-to-vpc', 'allow-pod-identity-agent']);
      expect(objectOf(policies, 'NetworkPolicy', 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      expect(objectOf(policies, 'NetworkPolicy', 'allow-https-to-vpc').spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '10.50.0.0/16' } }], ports: [{ protocol: 'TCP', port: 443 }] }]);
      expect(objectOf(policies, 'NetworkPolicy', 'allow-pod-identity-agent').spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '169.254.170.23/32' } }], ports: [{ protocol: 'TCP', port: 80 }] }]);
      expect(policies.filter((p) => p.spec.ingress !== undefined)).toEqual([]);
    });
  });

  test('the chart waits for its namespace, the Pod Identity association and permissions, the log groups and the nodes', () => {
    for (const prefix of ['ContainerLogsNamespace', 'ContainerLogsPodIdentity', 'ContainerLogsPolicy', 'ContainerLogsApplicationLogGroup', 'ContainerLogsMeshAccessLogGroup', 'ContainerLogsPlatformLogGroup', 'PlatformClusterNodegroup']) {
      expect({ prefix, found: release.dependsOn.some((d) => d.startsWith(prefix)) }).toEqual({ prefix, found: true });
    }
  });
});

describe('ContainerLogs with a key, namespaces and settings given', () => {
  test('uses the key given, binds it to its log groups, and routes only the namespaces given', () => {
    const b = meshTestCluster('Given');
    const key = new kms.Key(b.stack, 'SharedKey', { enableKeyRotation: true });
    const orders = new ApplicationNamespace(b.stack, 'Orders', { cluster: b.cluster, name: 'orders', quota: QUOTA });
    new ApplicationNamespace(b.stack, 'Other', { cluster: b.cluster, name: 'other', quota: QUOTA });
    const given = new ContainerLogs(b.stack, 'Logs', {
      cluster: b.cluster, logGroupPrefix: 'p', vpcCidr: '10.50.0.0/16', encryptionKey: key, applicationNamespaces: [orders],
      retention: logs.RetentionDays.TWO_YEARS, removalPolicy: RemovalPolicy.DESTROY,
    });
    const template = Template.fromStack(b.stack);
    expect(given.encryptionKey).toBe(key);
    expect(Object.keys(template.findResources('AWS::KMS::Key')).filter((id) => id.startsWith('Logs'))).toEqual([]);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } } })]) },
    });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { LogGroupName: '/p/containers/platform', RetentionInDays: 731 }, DeletionPolicy: 'Delete' });
    const values = helmReleases(template)[0].values;
    const application = outputSections(values.additionalOutputs).find((o) => o.alias === 'application')!;
    expect(new RegExp(application.match_regex).test(tagOf('a-0', 'orders', 'app'))).toBe(true);
    expect(new RegExp(application.match_regex).test(tagOf('a-0', 'other', 'app'))).toBe(false);
  });

  test('an imported key is used as is, with a warning that its policy must allow CloudWatch Logs', () => {
    const b = meshTestCluster('Imported');
    new ContainerLogs(b.stack, 'Logs', {
      cluster: b.cluster, logGroupPrefix: 'p', vpcCidr: '10.50.0.0/16',
      encryptionKey: kms.Key.fromKeyArn(b.stack, 'Key', 'arn:aws:kms:eu-west-1:111111111111:key/11111111-1111-1111-1111-111111111111'),
    });
    Annotations.fromStack(b.stack).hasWarning('/Imported/Logs', Match.stringLikeRegexp('encryptionKey is imported: its key policy cannot be changed here'));
  });

  test('with no application namespace, everything but istio-proxy goes to the platform log group', () => {
    const b = meshTestCluster('NoApps');
    new ContainerLogs(b.stack, 'Logs', { cluster: b.cluster, logGroupPrefix: 'p', vpcCidr: '10.50.0.0/16' });
    const sections = outputSections(helmReleases(Template.fromStack(b.stack))[0].values.additionalOutputs);
    expect(sections.map((o) => o.alias)).toEqual(['mesh-access', 'platform']);
    expect(new RegExp(sections[1].match_regex).test(tagOf('a-0', 'orders', 'app'))).toBe(true);
  });
});

describe('ContainerLogs refuses', () => {
  const build = (overrides: Partial<ContainerLogsProps>) => {
    const b = meshTestCluster('Bad');
    return () => new ContainerLogs(b.stack, 'Logs', { cluster: b.cluster, logGroupPrefix: 'ztp-dev', vpcCidr: '10.50.0.0/16', ...overrides });
  };

  test.each([
    ['a chart version range', { chartVersion: '~0.2' }, 'chartVersion "~0.2" is not an exact version. Fix: pin a release such as "0.2.0" (no ranges).'],
    ['a prefix with a slash', { logGroupPrefix: 'ztp/dev' }, 'logGroupPrefix "ztp/dev" cannot start a log group name /<prefix>/containers/<kind>. Fix: 1 to 64 letters, digits, ".", "_" and "-", starting with a letter or digit (e.g. the environment name "ztp-dev").'],
    ['an empty prefix', { logGroupPrefix: '' }, 'logGroupPrefix "" cannot start a log group name'],
    ['the whole internet as the VPC CIDR', { vpcCidr: '0.0.0.0/0' }, 'vpcCidr "0.0.0.0/0" is not a VPC CIDR: Fluent Bit\'s HTTPS egress is limited to it. Fix: pass the cluster VPC\'s IPv4 CIDR (a.b.c.d/n, n from 16 to 28).'],
    ['a CIDR that is not one', { vpcCidr: 'vpc' }, 'vpcCidr "vpc" is not a VPC CIDR'],
    ['a retention CloudWatch Logs does not offer', { retention: 42 as logs.RetentionDays }, 'retention 42 is not a retention CloudWatch Logs offers. Fix: use a logs.RetentionDays value, e.g. logs.RetentionDays.ONE_YEAR.'],
  ])('%s', (_, overrides, message) => {
    expect(build(overrides)).toThrow(`ContainerLogs Bad/Logs: ${message}`);
  });

  test('a cluster imported without its endpoint', () => {
    const b = meshTestCluster('NoEndpoint');
    const imported = eks.Cluster.fromClusterAttributes(new Stack(b.app, 'Other'), 'Imported', { clusterName: 'c', kubectlProvider: b.cluster.kubectlProvider });
    expect(() => new ContainerLogs(b.stack, 'Logs', { cluster: imported, logGroupPrefix: 'p', vpcCidr: '10.50.0.0/16' }))
      .toThrow(/^ContainerLogs NoEndpoint\/Logs: cluster Other\/Imported \(name "c"\) has no endpoint: .*Fix: import the cluster with clusterEndpoint\.$/);
  });

  test('an application namespace named "logging", at synth', () => {
    const b = meshTestCluster('Clash');
    new ContainerLogs(b.stack, 'Logs', { cluster: b.cluster, logGroupPrefix: 'p', vpcCidr: '10.50.0.0/16' });
    new ApplicationNamespace(b.stack, 'Logging', { cluster: b.cluster, name: 'logging', quota: QUOTA });
    expect(() => b.app.synth()).toThrow('ContainerLogs Clash/Logs: an application namespace is named "logging", which is where Fluent Bit runs. Fix: rename the application namespace.');
  });

  test('an application namespace of another cluster, at synth', () => {
    const b = meshTestCluster('Mine');
    const other = meshTestCluster('Theirs');
    const theirs = new ApplicationNamespace(other.stack, 'Orders', { cluster: other.cluster, name: 'orders', quota: QUOTA });
    new ContainerLogs(b.stack, 'Logs', { cluster: b.cluster, logGroupPrefix: 'p', vpcCidr: '10.50.0.0/16', applicationNamespaces: [theirs] });
    expect(() => b.app.synth()).toThrow(/ContainerLogs Mine\/Logs: applicationNamespaces has Theirs\/Orders \(namespace "orders"\), which is on cluster Theirs\/Platform\/Cluster, not Mine\/Platform\/Cluster\. Fix: pass the namespaces of this cluster only\./);
  });
});
