export * from './upstream-registries';
export * from './private-registry';
export * from './chart-mirror';
