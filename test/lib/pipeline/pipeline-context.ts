/** A complete pipeline configuration for tests: a tooling account deploying staging then prod, each in its own account. */
export const TOOLING_ACCOUNT = '111111111111';
export const STAGING_ACCOUNT = '222222222222';
export const PROD_ACCOUNT = '333333333333';
export const REGION = 'eu-west-1';
const AZS = [`${REGION}a`, `${REGION}b`, `${REGION}c`];

export const PIPELINE_SECTION = {
  connectionArn: `arn:aws:codeconnections:${REGION}:${TOOLING_ACCOUNT}:connection/0b9a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d`,
  repository: 'example-org/zero-trust-platform',
  branch: 'main',
  environments: ['staging', 'prod'],
  account: TOOLING_ACCOUNT,
  region: REGION,
  smokeTestBaseUrls: { staging: 'https://orders.staging.internal.example.com', prod: 'https://orders.prod.internal.example.com' },
};

export const PIPELINE_CONTEXT = {
  env: '',
  pipeline: PIPELINE_SECTION,
  platform: {
    staging: { account: STAGING_ACCOUNT, region: REGION, network: { availabilityZones: AZS } },
    prod: { account: PROD_ACCOUNT, region: REGION, network: { availabilityZones: AZS } },
  },
};
