export * from './platform-config';
export * from './environments';
export * from './policy';
export * from './schema';
export * from './validate-config';
export * from './load-config';
