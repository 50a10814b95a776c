export * from './istio-api';
