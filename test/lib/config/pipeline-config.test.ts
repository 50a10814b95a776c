import { App } from 'aws-cdk-lib';
import { loadPipelineConfig, PipelineConfigError } from '../../../lib/config';
import { PIPELINE_CONTEXT, PIPELINE_SECTION } from '../pipeline/pipeline-context';

/** Loads the pipeline section with `patch` merged over the valid test section (and optional platform overrides). */
function load(patch: Record<string, unknown>, platform: Record<string, unknown> = PIPELINE_CONTEXT.platform) {
  return loadPipelineConfig(new App({ context: { pipeline: { ...PIPELINE_SECTION, ...patch }, platform } }).node);
}

describe('pipeline configuration', () => {
  test('absent (or "off"): no pipeline', () => {
    expect(loadPipelineConfig(new App().node)).toBeUndefined();
    expect(loadPipelineConfig(new App({ context: { pipeline: 'off' } }).node)).toBeUndefined();
  });

  test('a valid section resolves the environments it deploys, in order, with their overrides', () => {
    const resolved = load({})!;
    expect(resolved.environments.map((e) => [e.envName, e.account, e.region])).toEqual([['staging', '222222222222', 'eu-west-1'], ['prod', '333333333333', 'eu-west-1']]);
    expect(resolved.pipeline.branch).toBe('main');
  });

  test('accepts the section as a JSON string (-c pipeline=...)', () => {
    const app = new App({ context: { pipeline: JSON.stringify(PIPELINE_SECTION), platform: JSON.stringify(PIPELINE_CONTEXT.platform) } });
    expect(loadPipelineConfig(app.node)!.pipeline.repository).toBe('example-org/zero-trust-platform');
  });

  test('branch and environments default to main and staging -> prod', () => {
    const { branch: _b, environments: _e, ...section } = PIPELINE_SECTION;
    const resolved = loadPipelineConfig(new App({ context: { pipeline: section, platform: PIPELINE_CONTEXT.platform } }).node)!;
    expect([resolved.pipeline.branch, resolved.pipeline.environments]).toEqual(['main', ['staging', 'prod']]);
  });

  test('smoke tests default to each environment\'s sample-service host; a configured URL wins', () => {
    const resolved = load({ smokeTestBaseUrls: { prod: 'https://api.example.com' } })!;
    expect(resolved.pipeline.smokeTestBaseUrls).toEqual({ staging: 'https://orders.staging.internal.example.com', prod: 'https://api.example.com' });
  });
});

describe('pipeline config errors name the setting, the value and the fix', () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown> | undefined, string][] = [
    ['connection ARN that is not a connection', { connectionArn: 'arn:aws:iam::111111111111:role/github' }, undefined,
      'pipeline.connectionArn is "arn:aws:iam::111111111111:role/github": must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<uuid>). Fix: create the connection in the console (Developer Tools > Connections), complete the handshake, and paste its ARN (in cdk.json context "pipeline" or with -c).'],
    ['repository without owner', { repository: 'zero-trust-platform' }, undefined,
      'pipeline.repository is "zero-trust-platform": must be "owner/name" of the repository the connection can read. Fix: set it to e.g. "my-org/zero-trust-platform"'],
    ['repository given as URL', { repository: 'https://github.com/example-org/zero-trust-platform' }, undefined,
      'pipeline.repository is "https://github.com/example-org/zero-trust-platform": must be "owner/name"'],
    ['branch that is not a branch name', { branch: 'feature..x' }, undefined,
      'pipeline.branch is "feature..x": must be a Git branch name. Fix: set it to e.g. "main"'],
    ['short pipeline account', { account: '1111' }, undefined,
      'pipeline.account is "1111": must be a 12-digit AWS account id'],
    ['pipeline account without region', { region: undefined }, undefined,
      'pipeline.account/region is {"account":"111111111111"}: must be set together or not at all'],
    ['no environments', { environments: [] }, undefined,
      'pipeline.environments is []: must list at least one environment to deploy, in order. Fix: set it to e.g. ["staging", "prod"]'],
    ['unknown environment', { environments: ['staging', 'qa', 'prod'] }, undefined,
      'pipeline.environments is "qa": is not a known environment (dev, staging, prod). Fix: list only environments defined in lib/config/environments.ts'],
    ['environment twice', { environments: ['staging', 'staging', 'prod'] }, undefined,
      'pipeline.environments is ["staging","staging","prod"]: lists "staging" twice'],
    ['prod before staging', { environments: ['prod', 'staging'] }, undefined,
      'pipeline.environments is ["prod","staging"]: must deploy prod last, after every environment that tests a change first. Fix: move "prod" to the end: ["staging","prod"]'],
    ['deployed environment without account and region', {}, { prod: PIPELINE_CONTEXT.platform.prod },
      'platform.staging.account/region is {}: the pipeline deploys "staging" and needs its account and region (and network.availabilityZones). Fix: set account, region and network.availabilityZones (in cdk.json context "platform" -> "staging" or with -c).'],
    ['environment in another region', {}, { ...PIPELINE_CONTEXT.platform, prod: { account: '333333333333', region: 'eu-central-1', network: { availabilityZones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'] } } },
      'platform.prod.region is "eu-central-1": must be the pipeline region "eu-west-1" (cross-region deployment and image pulls are not supported). Fix: deploy "prod" in eu-west-1, or run a pipeline per region'],
    ['empty smoke-test URL', { smokeTestBaseUrls: { staging: 'https://orders.staging.internal.example.com', prod: '' } }, undefined,
      'pipeline.smokeTestBaseUrls.prod is "": must be the https:// base URL (scheme and host, no path) of the environment\'s internal gateway. Fix: set it to e.g. "https://orders.prod.internal.example.com"'],
    ['plain-HTTP smoke-test URL', { smokeTestBaseUrls: { ...PIPELINE_SECTION.smokeTestBaseUrls, staging: 'http://orders.staging.internal.example.com' } }, undefined,
      'pipeline.smokeTestBaseUrls.staging is "http://orders.staging.internal.example.com": must be the https:// base URL'],
    ['smoke-test URL with a path', { smokeTestBaseUrls: { ...PIPELINE_SECTION.smokeTestBaseUrls, staging: 'https://orders.staging.internal.example.com/v1' } }, undefined,
      'pipeline.smokeTestBaseUrls.staging is "https://orders.staging.internal.example.com/v1": must be the https:// base URL (scheme and host, no path)'],
    ['smoke-test URL for an environment not deployed', { smokeTestBaseUrls: { ...PIPELINE_SECTION.smokeTestBaseUrls, dev: 'https://orders.dev.internal.example.com' } }, undefined,
      'pipeline.smokeTestBaseUrls.dev is "https://orders.dev.internal.example.com": names an environment the pipeline does not deploy (staging, prod). Fix: remove it or add "dev" to pipeline.environments'],
  ];

  test.each(cases)('%s', (_name, patch, platform, expected) => {
    expect(() => load(patch, platform)).toThrow(expected);
  });

  test('a section that is not JSON', () => {
    expect(() => loadPipelineConfig(new App({ context: { pipeline: '{connectionArn:' } }).node)).toThrow(
      'pipeline is "{connectionArn:": must be a JSON object. Fix: pass -c pipeline=\'{"connectionArn":"...","repository":"owner/name",...}\' or set it in cdk.json context.',
    );
  });

  test('every problem is reported at once', () => {
    let error: unknown;
    try {
      load({ repository: 'x', environments: ['prod', 'staging'] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PipelineConfigError);
    expect((error as PipelineConfigError).problems).toHaveLength(2);
    expect((error as Error).message).toContain('Invalid pipeline configuration (2 problems)');
  });
});
