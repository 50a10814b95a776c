export * from './postgres-database';
export * from './database-bootstrap';
export * from './redis-cache';
export * from './limits';
