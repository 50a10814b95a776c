export * from './istio-api';
export * from './external-service-entry';
export * from './istio-mesh';
export * from './load-balancer-controller';
export * from './load-balancer-controller-policy';
export * from './versions';
export * from './limits';
