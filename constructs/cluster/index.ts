export * from './addon-versions';
export * from './platform-cluster';
