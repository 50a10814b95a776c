export * from './istio-api';
export * from './external-service-entry';
export * from './istio-mesh';
export * from './load-balancer-controller';
export * from './load-balancer-controller-policy';
export * from './versions';
export * from './limits';
export { ISTIOD_MONITORING_PORT, ISTIOD_POD_LABELS, ISTIOD_WEBHOOK_PORT } from './control-plane-network-policies';
export { LOAD_BALANCER_CONTROLLER_WEBHOOK_PORT } from './load-balancer-controller-network-policy';
