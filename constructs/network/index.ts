export * from './zero-trust-vpc';
export * from './cidr';
export * from './limits';
export * from './aws-api-endpoints';
export * from './s3-prefix-list';
