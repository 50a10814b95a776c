export * from './config-mapping';
export * from './network-stack';
export * from './cluster-stack';
export * from './data-stack';
export * from './workloads-stack';
export * from './observability-stack';
