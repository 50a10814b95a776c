export * from './metrics-workspace';
export * from './cluster-metrics-scraper';
