import { App } from 'aws-cdk-lib';
import {
  ENVIRONMENT_DEFAULTS,
  isRfc1918,
  loadPlatformConfigs,
  parseIpv4Cidr,
  PlatformConfigError,
  resolvePlatformConfig,
  type PlatformConfigOverrides,
} from '../../../lib/config';

describe('environment defaults', () => {
  test.each(Object.keys(ENVIRONMENT_DEFAULTS))('%s validates as shipped', (env) => {
    expect(() => resolvePlatformConfig(env)).not.toThrow();
  });

  test('prod keeps data, spreads over three AZs and has no route to the internet (no NAT gateway)', () => {
    const prod = resolvePlatformConfig('prod');
    expect(prod.removalPolicy).toBe('retain');
    expect(prod.network.maxAzs).toBe(3);
    expect(prod.network.natGateways).toBe(0);
    expect(prod.network.natException).toBeUndefined();
    expect(prod.cluster.endpointAccess).toBe('private');
  });

  test('staging has no NAT gateway either (it proves prod\'s way out before prod); dev keeps one to try new upstream sources', () => {
    expect(resolvePlatformConfig('staging').network.natGateways).toBe(0);
    expect(resolvePlatformConfig('dev').network.natGateways).toBe(1);
  });

  test('every environment carries owner, cost-center and data-classification tags', () => {
    for (const env of Object.keys(ENVIRONMENT_DEFAULTS)) {
      const { tags } = resolvePlatformConfig(env);
      expect(tags.owner).toBeTruthy();
      expect(tags.costCenter).toBeTruthy();
      expect(['internal', 'confidential', 'restricted']).toContain(tags.dataClassification);
    }
  });
});

describe('config errors name the setting, the value and the fix', () => {
  const cases: [string, string, PlatformConfigOverrides, string][] = [
    ['public endpoint open to the internet', 'dev', { cluster: { endpointAccess: 'public-and-private', publicAccessCidrs: ['0.0.0.0/0'] } },
      'cluster.publicAccessCidrs is "0.0.0.0/0": opens the public API endpoint to too wide a range (0.0.0.0/0 or anything wider than /16 is refused). Fix: list only your egress CIDRs (/16 or narrower), or use endpointAccess "private"'],
    ['public endpoint with no allow-list', 'dev', { cluster: { endpointAccess: 'public-and-private', publicAccessCidrs: [] } },
      'cluster.publicAccessCidrs is []: must list the CIDRs allowed to reach the public API endpoint (an empty list would open it to the internet)'],
    ['public endpoint in prod', 'prod', { cluster: { endpointAccess: 'public-and-private', publicAccessCidrs: ['203.0.113.0/24'] } },
      'cluster.endpointAccess is "public-and-private": must be "private" in prod'],
    ['CIDRs on a private endpoint', 'dev', { cluster: { publicAccessCidrs: ['203.0.113.0/24'] } },
      'cluster.publicAccessCidrs is ["203.0.113.0/24"]: must be empty when cluster.endpointAccess is "private"'],
    ['public VPC CIDR', 'dev', { network: { vpcCidr: '8.8.0.0/16' } },
      'network.vpcCidr is "8.8.0.0/16": must be a private RFC 1918 range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16). Fix: choose a private range such as "10.10.0.0/16"'],
    ['malformed VPC CIDR', 'dev', { network: { vpcCidr: '10.0.0.1/16' } },
      'network.vpcCidr is "10.0.0.1/16": is not a valid IPv4 CIDR (a.b.c.d/n with no host bits set)'],
    ['VPC too small', 'dev', { network: { vpcCidr: '10.0.0.0/24' } },
      'network.vpcCidr is "10.0.0.0/24": must have a prefix between /16 and /20'],
    ['one AZ', 'dev', { network: { maxAzs: 1, natGateways: 1 } },
      'network.maxAzs is 1: must be 2 to 4: EKS needs subnets in at least two Availability Zones'],
    ['two AZs in prod', 'prod', { network: { maxAzs: 2, natGateways: 2 }, cluster: { nodePool: { minSize: 3 } } },
      'network.maxAzs is 2: must be at least 3 in prod'],
    ['more NAT gateways than AZs', 'dev', { network: { natGateways: 3 } },
      'network.natGateways is 3: must be a whole number from 0 to network.maxAzs (2). Fix: set network.natGateways to 0 (no route to the internet) or at most one per AZ'],
    ['a negative NAT gateway count', 'staging', { network: { natGateways: -1 } },
      'network.natGateways is -1: must be a whole number from 0 to network.maxAzs (3)'],
    ['an organization id of the wrong form', 'dev', { network: { organizationId: 'org-123' } },
      'network.organizationId is "org-123": must be an AWS Organizations organization id (o- and 10 to 32 lowercase letters or digits). Fix: set it to the id from `aws organizations describe-organization`, or remove it to admit this account only'],
    ['region without explicit AZs', 'dev', { account: '123456789012', region: 'eu-west-1' },
      'network.availabilityZones is undefined: is required when region is set, so synth never looks zones up in the account. Fix: list 2 zones, e.g. ["eu-west-1a", "eu-west-1b"]'],
    ['AZs outside the region', 'dev', { account: '123456789012', region: 'eu-west-1', network: { availabilityZones: ['us-east-1a', 'us-east-1b'] } },
      'network.availabilityZones is ["us-east-1a","us-east-1b"]: must all be in region eu-west-1'],
    ['account without region', 'dev', { account: '123456789012' },
      'account/region is {"account":"123456789012"}: must be set together or not at all'],
    ['bad account id', 'dev', { account: '1234', region: 'eu-west-1', network: { availabilityZones: ['eu-west-1a', 'eu-west-1b'] } },
      'account is "1234": must be a 12-digit AWS account id'],
    ['unsupported Kubernetes version', 'dev', { cluster: { kubernetesVersion: '1.29' } },
      'cluster.kubernetesVersion is "1.29": is not supported; supported: 1.36'],
    ['admin that is not a role ARN', 'dev', { cluster: { adminRoleArns: ['arn:aws:iam::123456789012:user/alice'] } },
      'cluster.adminRoleArns is "arn:aws:iam::123456789012:user/alice": must be an IAM role ARN'],
    ['key administrator that is not a role ARN', 'dev', { security: { keyAdminRoleArns: ['arn:aws:iam::123456789012:root'] } },
      'security.keyAdminRoleArns is "arn:aws:iam::123456789012:root": must be an IAM role ARN (arn:aws:iam::<account>:role/<path/name>). Fix: use the full ARN of an IAM or SSO role'],
    ['key administrator listed twice', 'dev', { security: { keyAdminRoleArns: ['arn:aws:iam::123456789012:role/keys', 'arn:aws:iam::123456789012:role/keys'] } },
      'security.keyAdminRoleArns is "arn:aws:iam::123456789012:role/keys": is listed twice. Fix: list each role once'],
    ['key administrator of another account', 'prod', {
      account: '123456789012', region: 'eu-west-1', network: { availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
      security: { keyAdminRoleArns: ['arn:aws:iam::999999999999:role/keys'] },
    }, 'security.keyAdminRoleArns[0] is "arn:aws:iam::999999999999:role/keys": must be a role of the environment\'s account 123456789012: a key policy lets only its own account\'s principals administer the key. Fix: use a role of account 123456789012'],
    ['node pool min above desired', 'dev', { cluster: { nodePool: { minSize: 3, desiredSize: 2, maxSize: 4 } } },
      'cluster.nodePool is {"minSize":3,"desiredSize":2,"maxSize":4}: needs whole numbers with 1 <= minSize <= desiredSize <= maxSize <= 100'],
    ['prod node pool smaller than AZ count', 'prod', { cluster: { nodePool: { minSize: 2, desiredSize: 3 } } },
      'cluster.nodePool.minSize is 2: must be at least network.maxAzs (3) in prod'],
    ['prod that deletes data', 'prod', { removalPolicy: 'destroy' },
      'removalPolicy is "destroy": must be "retain" in prod: production data is never deleted by a stack change'],
    ['short log retention', 'dev', { network: { flowLogRetentionDays: 30 } },
      'network.flowLogRetentionDays is 30: must be a CloudWatch Logs retention value of at least 365'],
    ['missing owner tag', 'dev', { tags: { owner: '' } },
      'tags.owner is "": must be a non-empty tag value'],
    ['moving image tag', 'dev', { workloads: { sample: { image: { tag: 'latest' } } } },
      'workloads.sample.image.tag is "latest": must be an immutable image tag (never "latest" or another moving name). Fix: set workloads.sample.image.digest, or a tag such as the commit id or release version'],
    ['malformed image digest', 'dev', { workloads: { sample: { image: { digest: 'sha256:abc' } } } },
      'workloads.sample.image.digest is "sha256:abc": must be an image digest, "sha256:" and 64 lowercase hex characters'],
    ['single replica', 'dev', { workloads: { sample: { minReplicas: 1 } } },
      'workloads.sample is {"minReplicas":1,"maxReplicas":4}: needs whole numbers with 2 <= minReplicas <= maxReplicas <= 100 (one replica is a single point of failure). Fix: set minReplicas and maxReplicas within those bounds'],
    ['service outside the guarded namespaces', 'dev', { workloads: { sample: { namespace: 'default' } } },
      'workloads.sample.namespace is "default": must be one of the application namespaces in cluster.namespaces (orders), which carry the guardrails. Fix: use one of those, or add it to cluster.namespaces'],
    ['bad service hostname', 'dev', { workloads: { sample: { hostname: 'Orders' } } },
      'workloads.sample.hostname is "Orders": must be a lowercase DNS name with at least two labels'],
    ['rolling update in prod', 'prod', { workloads: { sample: { delivery: 'rolling' } } },
      'workloads.sample.delivery is "rolling": must be progressive in prod ("canary" or "blue-green")'],
    ['unknown delivery strategy', 'dev', { workloads: { sample: { delivery: 'yolo' as never } } },
      'workloads.sample.delivery is "yolo": must be one of rolling, canary, blue-green'],
    ['unknown data classification', 'dev', { tags: { dataClassification: 'secret' as never } },
      'tags.dataClassification is "secret": must be one of public, internal, confidential, restricted'],
    ['a Docker Hub secret by partial ARN', 'dev', { registries: { dockerHubCredentialArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/ztp-dev/docker-hub' } },
      'registries.dockerHubCredentialArn is "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/ztp-dev/docker-hub": must be the complete ARN of a Secrets Manager secret whose name starts with "ecr-pullthroughcache/"'],
    ['a Docker Hub secret ECR may not read', 'dev', { registries: { dockerHubCredentialArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dockerhub-AbCdEf' } },
      'Fix: copy the ARN from `aws secretsmanager describe-secret --secret-id ecr-pullthroughcache/<name>/docker-hub`, or remove it to use that secret by name'],
    ['a Docker Hub secret of another account and region', 'prod', {
      account: '123456789012', region: 'eu-west-1', network: { availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
      registries: { dockerHubCredentialArn: 'arn:aws:secretsmanager:us-east-1:999999999999:secret:ecr-pullthroughcache/ztp-prod/docker-hub-AbCdEf' },
    }, 'registries.dockerHubCredentialArn is "arn:aws:secretsmanager:us-east-1:999999999999:secret:ecr-pullthroughcache/ztp-prod/docker-hub-AbCdEf": is in region us-east-1 (not eu-west-1) and account 999999999999 (not 123456789012): '
      + 'ECR reads a pull through cache secret of its own account and region only. Fix: create the secret in the environment\'s account and region (or remove the setting to use "ecr-pullthroughcache/ztp-prod/docker-hub" there)'],
  ];

  test.each(cases)('%s', (_name, env, overrides, expected) => {
    expect(() => resolvePlatformConfig(env, overrides)).toThrow(expected);
  });

  test('an unknown environment lists the known ones', () => {
    expect(() => resolvePlatformConfig('qa')).toThrow('env is "qa": unknown environment. Fix: use -c env=<name> with one of dev, staging, prod.');
  });

  test('every problem is reported at once, with where to fix it', () => {
    let error: unknown;
    try {
      resolvePlatformConfig('prod', { removalPolicy: 'destroy', network: { vpcCidr: '8.8.0.0/16' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlatformConfigError);
    expect((error as PlatformConfigError).problems).toHaveLength(2);
    expect((error as Error).message).toContain('Invalid platform configuration for env "prod" (2 problems)');
    expect((error as Error).message).toContain('(in cdk.json context "platform" -> "prod" or with -c)');
  });
});

describe('prod has no route to the internet unless an expiring, documented exception says why', () => {
  const DAY = 24 * 60 * 60 * 1000;
  const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
  const exception = (overrides: { reason?: string; expires?: string } = {}) => ({ reason: 'vendor webhook https://api.example.com until its PrivateLink endpoint exists', expires: inDays(30), ...overrides });

  test.each([
    ['NAT gateways in prod without an exception', { natGateways: 3 },
      'network.natGateways is 3: must be 0 in prod: the cluster has no route to the internet (AWS APIs through the VPC endpoints, images and charts from private ECR; docs/adr/0020-no-route-out.md lists what used to need it). '
      + 'Fix: set network.natGateways to 0; only if something in prod truly needs the internet, keep 3 NAT gateways (one per AZ) and add network.natException { "reason": "<what needs the internet and why no endpoint or mirror serves it>", "expires": "<YYYY-MM-DD, at most 90 days out>" }'],
    ['a shared NAT gateway in prod, even excepted', { natGateways: 1, natException: exception() },
      'network.natGateways is 1: must equal network.maxAzs (3) in prod when NAT gateways are excepted: one NAT gateway per AZ, no cross-AZ dependency'],
    ['an exception with nothing to excuse', { natGateways: 0, natException: exception() },
      'network.natException is {"reason":"vendor webhook https://api.example.com until its PrivateLink endpoint exists","expires":"' + inDays(30) + '"}: is set, but prod has no NAT gateway (network.natGateways is 0): there is nothing to excuse. Fix: remove network.natException'],
    ['an expired exception', { natGateways: 3, natException: exception({ expires: inDays(-1) }) },
      `network.natException.expires is "${inDays(-1)}": has passed (today is ${inDays(0)}): the exception no longer holds`],
    ['an exception for longer than 90 days', { natGateways: 3, natException: exception({ expires: inDays(120) }) },
      `network.natException.expires is "${inDays(120)}": is more than 90 days out (latest ${inDays(90)})`],
    ['a reason that names nothing', { natGateways: 3, natException: exception({ reason: 'needed' }) },
      'network.natException.reason is "needed": must say, in at least 20 characters, what in prod needs the internet and why no VPC endpoint or private mirror serves it'],
    ['an expiry that is not a date', { natGateways: 3, natException: exception({ expires: '2027-02-30' }) },
      'network.natException.expires is "2027-02-30": must be the last day the exception holds, a date YYYY-MM-DD'],
  ] as const)('%s', (_name, network, expected) => {
    expect(() => resolvePlatformConfig('prod', { network } as PlatformConfigOverrides)).toThrow(expected);
  });

  test('an exception outside prod is refused (other environments choose freely)', () => {
    expect(() => resolvePlatformConfig('dev', { network: { natException: exception() } })).toThrow(
      'network.natException is {"reason":"vendor webhook https://api.example.com until its PrivateLink endpoint exists","expires":"' + inDays(30) + '"}: is only for prod, where NAT gateways need one; other environments choose network.natGateways freely. Fix: remove network.natException');
  });

  test('prod with one NAT gateway per AZ and a current exception is accepted', () => {
    const prod = resolvePlatformConfig('prod', { network: { natGateways: 3, natException: exception() } });
    expect(prod.network.natGateways).toBe(3);
  });
});

describe('loading from context', () => {
  test('defaults to dev', () => {
    expect(loadPlatformConfigs(new App().node).map((c) => c.envName)).toEqual(['dev']);
  });

  test('selects several environments and merges their overrides', () => {
    const app = new App({
      context: {
        env: 'staging,prod',
        platform: { prod: { account: '123456789012', region: 'eu-west-1', network: { availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] } } },
      },
    });
    const [staging, prod] = loadPlatformConfigs(app.node);
    expect(staging.envName).toBe('staging');
    expect(prod.account).toBe('123456789012');
    expect(prod.network.vpcCidr).toBe('10.30.0.0/16');
    expect(prod.network.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  });

  test('accepts overrides as a JSON string (-c platform=...)', () => {
    const app = new App({ context: { env: 'dev', platform: JSON.stringify({ dev: { name: 'team-a-dev' } }) } });
    expect(loadPlatformConfigs(app.node)[0].name).toBe('team-a-dev');
  });
});

describe('CIDR helpers', () => {
  test.each([
    ['10.0.0.0/8', true], ['172.16.0.0/12', true], ['172.31.255.0/24', true], ['192.168.1.0/24', true],
    ['172.32.0.0/16', false], ['11.0.0.0/8', false], ['0.0.0.0/0', false], ['10.0.0.0/7', false],
  ])('isRfc1918(%s) = %s', (cidr, expected) => {
    expect(isRfc1918(cidr)).toBe(expected);
  });

  test.each(['10.0.0.0', '10.0.0.256/16', '10.0.0.0/33', '10.0.0.1/24', 'abc'])('rejects %s', (cidr) => {
    expect(parseIpv4Cidr(cidr)).toBeUndefined();
  });
});
