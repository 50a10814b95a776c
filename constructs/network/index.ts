export * from './zero-trust-vpc';
