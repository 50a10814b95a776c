/**
 * App contexts the tests synthesize the whole platform with. `DEV_AND_PROD`: dev (environment-
 * agnostic) and prod (pinned account, region and AZs, a cluster admin role, a key admin role); `FULL_PLATFORM`: the same
 * plus the delivery pipeline (a tooling account deploying prod), so every acknowledgment of the
 * registries is exercised.
 */
export const DEV_AND_PROD = {
  env: 'dev,prod',
  platform: {
    prod: {
      account: '123456789012',
      region: 'eu-west-1',
      network: { availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
      cluster: { adminRoleArns: ['arn:aws:iam::123456789012:role/platform-admins'] },
      security: { keyAdminRoleArns: ['arn:aws:iam::123456789012:role/key-admins'] },
    },
  },
};

export const FULL_PLATFORM = {
  ...DEV_AND_PROD,
  pipeline: {
    connectionArn: 'arn:aws:codeconnections:eu-west-1:111111111111:connection/0b9a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
    repository: 'example-org/zero-trust-platform',
    environments: ['prod'],
    account: '111111111111',
    region: 'eu-west-1',
    smokeTestBaseUrls: { prod: 'https://orders.prod.internal.example.com' },
  },
};
