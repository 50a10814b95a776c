export * from './metrics-workspace';
export * from './cluster-metrics-scraper';
export * from './versions';
export * from './cloudwatch-metrics';
