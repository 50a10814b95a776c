export * from './artifact-store';
export * from './build-commands';
export * from './delivery-stage';
export * from './image-context';
export * from './image-repository';
export * from './pipeline-stack';
export * from './smoke-tests';
export * from './policy-scoping';
