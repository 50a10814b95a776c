export * from './zero-trust-vpc';
export * from './cidr';
export * from './limits';
