export * from './versions';
export * from './rollouts-api';
export * from './service-analysis';
export * from './argo-rollouts';
