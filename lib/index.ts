export * from './config';
export * from './compliance/acknowledgments';
export * from './platform-stage';
export * from './platform-app';
export * from './stacks';
