import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ClusterMetricsScraper, MetricsWorkspace, QUERY_ACTIONS } from '../../../constructs/observability';
import { actionsOf, boundLogGroupNames, keyPolicyStatements, viaServices } from '../../support/key-policy';
import { synthWithGate } from '../../support/test-app';
import { meshTestCluster } from '../mesh/mesh-test-cluster';

function metricsFixture() {
  const built = meshTestCluster('Metrics');
  const workspace = new MetricsWorkspace(built.stack, 'Workspace');
  const scraper = new ClusterMetricsScraper(built.stack, 'Scraper', { cluster: built.cluster, vpc: built.vpc, workspace, metricsPorts: [15020, 8090] });
  return { ...built, workspace, scraper };
}

describe('MetricsWorkspace and ClusterMetricsScraper', () => {
  let built: ReturnType<typeof metricsFixture>;
  let template: Template;
  let findings: ReturnType<typeof synthWithGate>['findings'];

  beforeAll(() => {
    // GIVEN a cluster, a workspace and a scraper; WHEN synthesized through the compliance gate
    built = metricsFixture();
    findings = synthWithGate(built.app).findings;
    template = Template.fromStack(built.stack);
  });

  const scraper = () => Object.values(template.findResources('AWS::APS::Scraper'))[0].Properties;
  const scrapeConfig = () => JSON.parse(Buffer.from(scraper().ScrapeConfiguration.ConfigurationBlob, 'base64').toString('utf8'));

  test('the compliance gate has no open findings', () => {
    expect(findings).toEqual([]);
  });

  describe('workspace', () => {
    test('metrics are encrypted with a rotating customer managed key and the workspace logs to an encrypted log group', () => {
      template.hasResourceProperties('AWS::APS::Workspace', {
        KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkspaceKey'), 'Arn'] },
        LoggingConfiguration: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkspaceLogs'), 'Arn'] } },
      });
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: Match.stringLikeRegexp('metrics') });
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/prometheus/'),
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkspaceKey'), 'Arn'] },
        RetentionInDays: 365,
      });
    });

    test('the key is usable through Amazon Managed Service for Prometheus only, and by CloudWatch Logs for the workspace\'s and the scraper\'s log groups only', () => {
      // (before: the account root had kms:* and CloudWatch Logs could use the key for every log group of the account)
      const statements = keyPolicyStatements(template, built.stack, built.workspace.encryptionKey);
      expect(viaServices(statements)).toEqual(['aps']);
      expect(statements.flatMap(actionsOf)).not.toContain('kms:*');
      const keyId = built.stack.getLogicalId(built.workspace.encryptionKey.node.defaultChild as never);
      const encrypted = Object.values(template.findResources('AWS::Logs::LogGroup')).filter((g) => g.Properties.KmsKeyId?.['Fn::GetAtt']?.[0] === keyId);
      expect(encrypted).toHaveLength(2);
      expect(boundLogGroupNames(statements).sort()).toEqual(encrypted.map((g) => g.Properties.LogGroupName as string).sort());
    });

    test('the key and log groups are retained by default', () => {
      for (const type of ['AWS::KMS::Key', 'AWS::Logs::LogGroup']) {
        for (const [id, resource] of Object.entries(template.findResources(type))) {
          if (!id.startsWith('Workspace') && !id.startsWith('Scraper')) continue;
          expect(resource.DeletionPolicy).toBe('Retain');
        }
      }
    });

    test('grantQuery allows exactly the four read actions on this workspace', () => {
      expect([...QUERY_ACTIONS]).toEqual(['aps:QueryMetrics', 'aps:GetLabels', 'aps:GetSeries', 'aps:GetMetricMetadata']);
    });

    test('refuses an invalid alias', () => {
      const { stack } = meshTestCluster('BadAlias');
      expect(() => new MetricsWorkspace(stack, 'W', { alias: '-bad alias' })).toThrow('MetricsWorkspace BadAlias/W: alias "-bad alias" is not a valid workspace alias.');
    });
  });

  describe('scraper', () => {
    test('scrapes the cluster from the private subnets through its own security group into the workspace', () => {
      const p = scraper();
      expect(p.Source.EksConfiguration.ClusterArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PlatformCluster/), 'Arn'] });
      expect(p.Source.EksConfiguration.SubnetIds).toEqual([{ Ref: expect.stringMatching(/^NetworkVpcWorkloadsSubnet1/) }, { Ref: expect.stringMatching(/^NetworkVpcWorkloadsSubnet2/) }]);
      expect(p.Source.EksConfiguration.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^ScraperSecurityGroup/), 'GroupId'] }]);
      expect(p.Destination).toEqual({ AmpConfiguration: { WorkspaceArn: { 'Fn::GetAtt': [expect.stringMatching(/^Workspace/), 'Arn'] } } });
      expect(p.ScraperLoggingConfiguration.ScraperComponents.map((c: { Type: string }) => c.Type)).toEqual(['SERVICE_DISCOVERY', 'COLLECTOR', 'EXPORTER']);
      expect(built.scraper.sourceCidrs).toHaveLength(2);
    });

    test('its security group reaches the cluster only on 443 and the metrics ports, and the cluster admits exactly those', () => {
      const egress = Object.values(template.findResources('AWS::EC2::SecurityGroup'))
        .filter((g) => g.Properties.GroupDescription.startsWith('Managed Prometheus scraper'))
        .flatMap((g) => g.Properties.SecurityGroupEgress ?? []);
      const egressRules = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress')).map((r) => r.Properties)
        .filter((r) => JSON.stringify(r.GroupId).includes('ScraperSecurityGroup'));
      expect([...egress, ...egressRules].map((r) => r.FromPort).sort()).toEqual([15020, 443, 8090]);
      const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties)
        .filter((r) => JSON.stringify(r.SourceSecurityGroupId ?? '').includes('ScraperSecurityGroup'));
      expect(ingress.map((r) => [r.FromPort, r.ToPort]).sort()).toEqual([[15020, 15020], [443, 443], [8090, 8090]]);
      for (const rule of ingress) expect(rule.GroupId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PlatformCluster/), 'ClusterSecurityGroupId'] });
    });

    test('writes through a source/target role pair (customer managed key): target may only remote-write this workspace', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [{
          Action: 'sts:AssumeRole',
          Principal: { Service: 'scraper.aps.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': Match.anyValue() } },
        }] },
      });
      const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).map((p) => p.Properties.PolicyDocument.Statement).flat();
      expect(policies).toContainEqual({ Action: 'aps:RemoteWrite', Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Workspace/), 'Arn'] } });
      expect(policies).toContainEqual({ Action: 'sts:AssumeRole', Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ScraperTargetRole/), 'Arn'] } });
      expect(scraper().RoleConfiguration).toEqual({
        SourceRoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^ScraperSourceRole/), 'Arn'] },
        TargetRoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^ScraperTargetRole/), 'Arn'] },
      });
    });

    test('the scrape configuration keeps annotated pods and labels every series with the version under analysis', () => {
      const config = scrapeConfig();
      expect(config.global.scrape_interval).toBe('30s');
      const job = config.scrape_configs[0];
      expect(job.kubernetes_sd_configs).toEqual([{ role: 'pod' }]);
      expect(job.relabel_configs[0]).toEqual({ source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], regex: 'true', action: 'keep' });
      expect(job.relabel_configs.map((r: { target_label?: string }) => r.target_label).filter(Boolean))
        .toEqual(['__metrics_path__', '__address__', 'namespace', 'pod', 'app', 'version', 'rollouts_pod_template_hash']);
      expect(job.relabel_configs).toContainEqual(expect.objectContaining({ source_labels: ['__meta_kubernetes_pod_label_rollouts_pod_template_hash'] }));
    });

    test.each<[string, Partial<ConstructorParameters<typeof ClusterMetricsScraper>[2]>, string]>([
      ['interval below 30s', { scrapeInterval: Duration.seconds(15) }, 'scrapeInterval 15s is below the 30s minimum of AWS managed collectors. Fix: use 30 seconds or more.'],
      ['port 443 as metrics port', { metricsPorts: [443] }, 'metricsPorts has 443: must be a TCP port other than 443 (the API server port is always allowed).'],
    ])('refuses %s', (_, overrides, message) => {
      const b = meshTestCluster('Bad');
      const workspace = new MetricsWorkspace(b.stack, 'W');
      expect(() => new ClusterMetricsScraper(b.stack, 'S', { cluster: b.cluster, vpc: b.vpc, workspace, ...overrides })).toThrow(`ClusterMetricsScraper Bad/S: ${message}`);
    });
  });
});
