export * from './platform-config';
export * from './environments';
export * from './validate-config';
export * from './load-config';
