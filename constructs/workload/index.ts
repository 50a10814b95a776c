export * from './service-image';
export * from './stateless-service-chart';
export * from './stateless-service';
export * from './service-repository';
export * from './limits';
