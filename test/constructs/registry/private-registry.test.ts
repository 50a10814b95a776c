import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ChartMirror, PrivateRegistry, type PrivateRegistryProps } from '../../../constructs/registry';
import { renderCfnString } from '../../../constructs/compliance/evidence/kubernetes-objects';
import { createTestStack, synthWithGate } from '../../support/test-app';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const DOCKER_HUB_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/ztp-dev/docker-hub-AbCdEf';
/** The registry host as the template writes it (the URL suffix stays a pseudo parameter). */
const HOST = '123456789012.dkr.ecr.eu-west-1.{Ref:AWS::URLSuffix}';
/** A cache repository's ARN (pseudo parameters: the same policy text in every environment). */
const repositoryArn = (name: string) => `arn:{Ref:AWS::Partition}:ecr:{Ref:AWS::Region}:{Ref:AWS::AccountId}:repository/${name}`;
const cacheArn = (segment: string) => repositoryArn(`ztp-dev/${segment}/*`);

/** A resolved template value with every Fn::Join and Ref written out as text (`{Ref:AWS::Partition}`). */
function rendered(value: unknown): any {
  if (Array.isArray(value)) return value.map(rendered);
  if (value && typeof value === 'object') {
    if ('Fn::Join' in value || 'Ref' in value) return renderCfnString(value, (d) => `{${d}}`);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rendered(v)]));
  }
  return value;
}

function build(props: Partial<PrivateRegistryProps> = {}) {
  const { stack } = createTestStack('Registry', { env: ENV });
  const registry = new PrivateRegistry(stack, 'Registry', {
    repositoryPrefix: 'ztp-dev',
    upstreamCredentials: { 'docker-hub': secretsmanager.Secret.fromSecretCompleteArn(stack, 'DockerHub', DOCKER_HUB_SECRET) },
    helmLayer: lambda.LayerVersion.fromLayerVersionArn(stack, 'Helm', 'arn:aws:lambda:eu-west-1:123456789012:layer:kubectl:1'),
    ...props,
  });
  return { stack, registry };
}

describe('PrivateRegistry: pull through cache', () => {
  let template: Template;
  beforeAll(() => {
    // GIVEN the platform's registry; WHEN synthesized
    template = Template.fromStack(build().stack);
  });

  test('one cache rule per upstream registry the platform uses, and no other; Docker Hub with its credentials', () => {
    const rules = Object.values(template.findResources('AWS::ECR::PullThroughCacheRule')).map((r) => r.Properties);
    expect(rules).toEqual([
      { EcrRepositoryPrefix: 'ztp-dev/docker-hub', UpstreamRegistry: 'docker-hub', UpstreamRegistryUrl: 'registry-1.docker.io', CredentialArn: DOCKER_HUB_SECRET },
      { EcrRepositoryPrefix: 'ztp-dev/quay', UpstreamRegistry: 'quay', UpstreamRegistryUrl: 'quay.io' },
      { EcrRepositoryPrefix: 'ztp-dev/ecr-public', UpstreamRegistry: 'ecr-public', UpstreamRegistryUrl: 'public.ecr.aws' },
    ]);
  });

  test('a creation template per rule: immutable tags, the customer key, a lifecycle, created by its own role', () => {
    const templates = template.findResources('AWS::ECR::RepositoryCreationTemplate');
    expect(Object.values(templates).map((t) => t.Properties.Prefix)).toEqual(['ztp-dev/docker-hub', 'ztp-dev/quay', 'ztp-dev/ecr-public']);
    for (const t of Object.values(templates)) {
      expect(t.Properties).toEqual({
        Prefix: t.Properties.Prefix,
        AppliedFor: ['PULL_THROUGH_CACHE'],
        Description: expect.stringMatching(/immutable tags, KMS/),
        ImageTagMutability: 'IMMUTABLE',
        EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: { 'Fn::GetAtt': [expect.stringMatching(/^RegistryKey/), 'Arn'] } },
        LifecyclePolicy: JSON.stringify({ rules: [{ rulePriority: 1, description: 'Keep the newest 10 tagged versions', selection: { tagStatus: 'tagged', tagPatternList: ['*'], countType: 'imageCountMoreThan', countNumber: 10 }, action: { type: 'expire' } }] }),
        CustomRoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^RegistryRepositoryCreationRole/), 'Arn'] },
      });
    }
  });

  test('a rule is created after its template, so the first pull finds it', () => {
    const rules = template.findResources('AWS::ECR::PullThroughCacheRule');
    const templateIds = Object.keys(template.findResources('AWS::ECR::RepositoryCreationTemplate'));
    Object.values(rules).forEach((rule, i) => expect(rule.DependsOn).toContain(templateIds[i]));
  });

  test('ECR may create only this registry\'s cache repositories with the role (all of its upstreams\' before any image is taken), and only use the registry key for them', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecr.amazonaws.com' } }] },
      Description: Match.stringLikeRegexp('pull through cache repositories'),
    });
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('repository creation templates') } }));
    expect(rendered(policy.Properties.PolicyDocument.Statement)).toEqual([
      { Sid: 'CreateCacheRepositories', Effect: 'Allow', Action: 'ecr:CreateRepository', Resource: ['docker-hub', 'quay', 'ecr-public'].map(cacheArn) },
      { Sid: 'EncryptCacheRepositories', Effect: 'Allow', Action: ['kms:CreateGrant', 'kms:RetireGrant', 'kms:DescribeKey'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RegistryKey/), 'Arn'] } },
    ]);
    expect(policy.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^RegistryRepositoryCreationRole/) }]);
  });

  test('the key rotates', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: Match.stringLikeRegexp('private registry ztp-dev') });
  });
});

describe('PrivateRegistry: images', () => {
  test.each([
    ['docker.io/istio/pilot', `${HOST}/ztp-dev/docker-hub/istio/pilot`],
    ['otel/opentelemetry-collector-contrib', `${HOST}/ztp-dev/docker-hub/otel/opentelemetry-collector-contrib`],
    ['nginx', `${HOST}/ztp-dev/docker-hub/library/nginx`],
    ['quay.io/argoproj/argo-rollouts', `${HOST}/ztp-dev/quay/argoproj/argo-rollouts`],
    ['public.ecr.aws/eks/aws-load-balancer-controller', `${HOST}/ztp-dev/ecr-public/eks/aws-load-balancer-controller`],
  ])('%s is pulled through the cache as %s, same tag and digest', (upstream, cached) => {
    const { stack, registry } = build();
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(rendered(stack.resolve(registry.image({ repository: upstream, tag: '1.2.3', digest })))).toEqual({ repository: cached, tag: '1.2.3', digest });
  });

  test.each([
    ['gcr.io/istio-release/pilot', '1.31.0', undefined, /image "gcr.io\/istio-release\/pilot" is on "gcr.io", which this registry does not cache \(it caches docker-hub, quay, ecr-public\)\. Fix: add its upstream registry to upstreamRegistries \(ECR pull through cache supports/],
    ['ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib', '0.158.0', undefined, /is on "ghcr.io", which this registry does not cache .* Fix: add "github-container-registry" to upstreamRegistries, or use an image from one it caches\./],
    ['docker.io/istio/pilot', 'latest', undefined, /has tag "latest", which is not an exact release\. Fix: pin a release tag/],
    ['docker.io/istio/pilot', '1.31.0', 'sha256:abc', /has digest "sha256:abc"\. Fix: "sha256:" and 64 lowercase hex digits/],
  ])('image %s:%s is refused', (repository, tag, digest, message) => {
    const { registry } = build();
    expect(() => registry.image({ repository, tag, ...(digest ? { digest } : {}) })).toThrow(message);
  });
});

describe('PrivateRegistry: node permissions', () => {
  test('grantPullThroughCache: pull, import from upstream and create on first pull, on the repositories of exactly the images handed out', () => {
    const { stack, registry } = build();
    const role = new iam.Role(stack, 'Nodes', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    registry.image({ repository: 'docker.io/istio/pilot', tag: '1.31.0' });
    registry.grantPullThroughCache(role);
    // Images taken after the grant count too.
    registry.image({ repository: 'quay.io/argoproj/argo-rollouts', tag: 'v1.9.0' });
    registry.image({ repository: 'docker.io/istio/pilot', tag: '1.31.1' });
    const creation = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('repository creation templates') } }))[0];
    expect(rendered(creation.Properties.PolicyDocument.Statement[0].Resource)).toEqual(['ztp-dev/docker-hub/istio/pilot', 'ztp-dev/quay/argoproj/argo-rollouts'].map(repositoryArn));
    const statements = Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as never) }] } });
    expect(rendered(Object.values(statements)[0].Properties.PolicyDocument.Statement)).toEqual([
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'],
        Resource: ['ztp-dev/docker-hub/istio/pilot', 'ztp-dev/quay/argoproj/argo-rollouts'].map(repositoryArn),
      },
    ]);
  });
});

describe('PrivateRegistry: charts', () => {
  const SOURCE = { chart: 'argo-rollouts', version: '2.41.0', repository: 'https://argoproj.github.io/argo-helm' };
  let stack: Stack;
  let template: Template;
  let registry: PrivateRegistry;
  beforeAll(() => {
    ({ stack, registry } = build());
    registry.helmChart(SOURCE);
    registry.helmChart({ chart: 'istiod', version: '1.31.0', repository: 'https://blob.istio.io/istio-release/charts', archiveDigest: `sha256:${'b'.repeat(64)}` });
    template = Template.fromStack(stack);
  });

  test('a chart is installed from its ECR mirror over OCI, not from its public repository', () => {
    const { chart, version, repository, source } = registry.helmChart(SOURCE);
    expect(rendered(stack.resolve({ chart, version, repository, source }))).toEqual({ chart: 'argo-rollouts', version: '2.41.0', repository: `oci://${HOST}/ztp-dev/charts/argo-rollouts`, source: SOURCE });
  });

  test('each chart has its repository: immutable tags, the registry key, scan on push', () => {
    const repositories = Object.values(template.findResources('AWS::ECR::Repository')).map((r) => r.Properties);
    expect(repositories.map((r) => r.RepositoryName)).toEqual(['ztp-dev/charts/argo-rollouts', 'ztp-dev/charts/istiod']);
    for (const r of repositories) {
      expect(r).toMatchObject({ ImageTagMutability: 'IMMUTABLE', ImageScanningConfiguration: { ScanOnPush: true }, EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: { 'Fn::GetAtt': [expect.stringMatching(/^RegistryKey/), 'Arn'] } } });
    }
  });

  test('the mirror copies exactly the pinned versions, with their digests where pinned', () => {
    const [mirror] = Object.values(template.findResources(ChartMirror.RESOURCE_TYPE));
    expect(rendered(mirror.Properties.Registry)).toBe(HOST);
    expect(JSON.parse(mirror.Properties.Charts)).toEqual([
      { chart: 'argo-rollouts', version: '2.41.0', sourceRepository: SOURCE.repository, repositoryName: 'ztp-dev/charts/argo-rollouts' },
      { chart: 'istiod', version: '1.31.0', sourceRepository: 'https://blob.istio.io/istio-release/charts', repositoryName: 'ztp-dev/charts/istiod', archiveDigest: `sha256:${'b'.repeat(64)}` },
    ]);
  });

  test('the mirror runs outside the VPC, one at a time, and may push to the chart repositories only', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties);
    expect(functions).toHaveLength(2);
    for (const f of functions) {
      expect(f.VpcConfig).toBeUndefined();
      expect(f.ReservedConcurrentExecutions).toBe(1);
      expect(f.Runtime).toBe('nodejs24.x');
    }
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: Match.stringLikeRegexp('^Chart mirror: own logs'),
      PolicyDocument: { Statement: [
        Match.objectLike({ Sid: 'WriteOwnLogs' }),
        { Sid: 'LogInToEcr', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        {
          Sid: 'ReadAndPushCharts',
          Effect: 'Allow',
          Action: ['ecr:BatchGetImage', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'],
          Resource: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^RegistryChartargorollouts'), 'Arn'] }, { 'Fn::GetAtt': [Match.stringLikeRegexp('^RegistryChartistiod'), 'Arn'] }],
        },
      ] },
    });
  });

  test('the mirror waits for the chart repositories', () => {
    const [mirror] = Object.values(template.findResources(ChartMirror.RESOURCE_TYPE));
    expect(mirror.DependsOn).toEqual(expect.arrayContaining(Object.keys(template.findResources('AWS::ECR::Repository'))));
  });

  test('its logs: KMS-encrypted, kept a year, and the key serves exactly these two log groups', () => {
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() }, 2);
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/ztp-dev/chart-mirror/handler' });
    const [logKey] = Object.values(template.findResources('AWS::KMS::Key', { Properties: { Description: Match.stringLikeRegexp('chart mirror logs') } }));
    const logStatements = rendered(logKey.Properties.KeyPolicy.Statement).filter((st: { Principal?: { Service?: string } }) => st.Principal?.Service === 'logs.eu-west-1.amazonaws.com');
    expect(logStatements.map((st: { Condition: unknown }) => st.Condition)).toEqual(['handler', 'provider'].map((k) => ({
      ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': [`arn:{Ref:AWS::Partition}:logs:eu-west-1:123456789012:log-group:/ztp-dev/chart-mirror/${k}`] },
    })));
  });
});

describe('PrivateRegistry: compliance', () => {
  test('passes the compliance gate with only the library\'s acknowledgments (the mirror outside the VPC, the ECR login on "*")', () => {
    // GIVEN a registry mirroring a chart; WHEN synthesized through the gate
    const { stack, registry } = build();
    registry.helmChart({ chart: 'argo-rollouts', version: '2.41.0', repository: 'https://argoproj.github.io/argo-helm' });
    registry.image({ repository: 'quay.io/argoproj/argo-rollouts', tag: 'v1.9.0' });
    // THEN nothing is left open
    expect(synthWithGate(stack.node.root as never).findings).toEqual([]);
  });
});

describe('PrivateRegistry: bad input fails synth, naming the setting and the fix', () => {
  test.each<[string, Partial<PrivateRegistryProps> | ((stack: Stack) => Partial<PrivateRegistryProps>), RegExp]>([
    ['a prefix with capitals', { repositoryPrefix: 'ZTP' }, /repositoryPrefix "ZTP" is not a repository prefix known at synth\. Fix: 2 to 19 lowercase letters/],
    ['a prefix too long for ECR', { repositoryPrefix: 'a-very-long-environment' }, /repositoryPrefix "a-very-long-environment".*ECR allows 30 characters/],
    ['no Docker Hub credentials', { upstreamCredentials: {} }, /upstreamCredentials\["docker-hub"\] is missing: ECR caches registry-1\.docker\.io only with credentials\. Fix: create a Secrets Manager secret named "ecr-pullthroughcache\/ztp-dev\/docker-hub"/],
    ['a secret ECR may not read', (stack) => ({ upstreamCredentials: { 'docker-hub': secretsmanager.Secret.fromSecretCompleteArn(stack, 'Other', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dockerhub-AbCdEf') } }),
      /upstreamCredentials\["docker-hub"\] is the secret "dockerhub": ECR reads only secrets whose name starts with "ecr-pullthroughcache\/"/],
    ['credentials for a registry not cached', (stack) => ({ upstreamRegistries: ['quay'], upstreamCredentials: { 'docker-hub': secretsmanager.Secret.fromSecretCompleteArn(stack, 'Other', DOCKER_HUB_SECRET) } }),
      /upstreamCredentials has a secret for "docker-hub", which is not in upstreamRegistries \(quay\)/],
    ['an unknown upstream', { upstreamRegistries: ['gcr' as never] }, /upstreamRegistries has "gcr", which ECR pull through cache does not support/],
    ['no upstream', { upstreamRegistries: [] }, /upstreamRegistries is empty/],
    ['a registry twice', { upstreamRegistries: ['quay', 'quay'] }, /upstreamRegistries lists "quay" twice/],
    ['no versions kept', { maxImageVersions: 0 }, /maxImageVersions 0 must be a whole number from 1 to 1000/],
  ])('%s', (_case, props, message) => {
    const { stack } = createTestStack('Registry', { env: ENV });
    const given = typeof props === 'function' ? props(stack) : props;
    expect(() => new PrivateRegistry(stack, 'Registry', {
      repositoryPrefix: 'ztp-dev',
      upstreamCredentials: { 'docker-hub': secretsmanager.Secret.fromSecretCompleteArn(stack, 'DockerHub', DOCKER_HUB_SECRET) },
      ...given,
    })).toThrow(message);
  });

  test.each([
    [{ chart: 'Argo', version: '1.0.0', repository: 'https://x.example.com' }, /chart "Argo" is not a chart name/],
    [{ chart: 'argo', version: '2.x', repository: 'https://x.example.com' }, /version "2\.x" is not an exact version/],
    [{ chart: 'argo', version: '2.41.0', repository: 'http://x.example.com' }, /repository "http:\/\/x\.example\.com" is not an https:\/\/ Helm repository URL/],
    [{ chart: 'argo', version: '2.41.0', repository: 'https://x.example.com', archiveDigest: 'md5:1' }, /archiveDigest "md5:1"/],
  ])('helmChart(%o) is refused', (source, message) => {
    const { registry } = build();
    expect(() => registry.helmChart(source)).toThrow(message);
  });

  test('a chart cannot be mirrored without a layer carrying helm', () => {
    const { registry } = build({ helmLayer: undefined });
    expect(() => registry.helmChart({ chart: 'argo-rollouts', version: '2.41.0', repository: 'https://argoproj.github.io/argo-helm' }))
      .toThrow(/helmLayer is not set\. Fix: pass the cluster's kubectl layer/);
  });

  test('one chart version from one source only', () => {
    const { registry } = build();
    registry.helmChart({ chart: 'argo-rollouts', version: '2.41.0', repository: 'https://argoproj.github.io/argo-helm' });
    expect(() => registry.helmChart({ chart: 'argo-rollouts', version: '2.41.0', repository: 'https://example.com/charts' })).toThrow(/is mirrored from "https:\/\/argoproj\.github\.io\/argo-helm" already/);
  });
});
