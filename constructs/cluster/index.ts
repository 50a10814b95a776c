export * from './addon-versions';
export * from './application-namespace';
export * from './platform-cluster';
export * from './pod-security';
export * from './baseline-network-policies';
export * from './limits';
