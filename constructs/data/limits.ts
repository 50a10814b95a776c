/**
 * The ranges `PostgresDatabase` and `RedisCache` accept, exported so a configuration layer checks
 * the same numbers instead of a copy of them. Ranges are inclusive.
 */

/** Aurora Serverless v2 minimum capacity per instance, in ACUs (0 pauses an idle instance). */
export const AURORA_MIN_CAPACITY_ACU = { min: 0, max: 256, step: 0.5 } as const;

/** Aurora Serverless v2 maximum capacity per instance, in ACUs. */
export const AURORA_MAX_CAPACITY_ACU = { min: 1, max: 256, step: 0.5 } as const;

/** Serverless v2 readers besides the writer: one at least (the failover target), Aurora's limit of 15 at most. */
export const POSTGRES_READERS = { min: 1, max: 15 } as const;

/** Automated backup (and point-in-time recovery) retention in whole days: a week at least (RDS takes 1), RDS's 35 at most. */
export const POSTGRES_BACKUP_RETENTION_DAYS = { min: 7, max: 35 } as const;

/** Cache read replicas besides the primary: one at least (multi-AZ failover), ElastiCache's 5 per shard at most. */
export const REDIS_REPLICAS = { min: 1, max: 5 } as const;

/**
 * Daily snapshot retention in whole days. ElastiCache takes 0 to 35, where 0 turns automatic
 * backups off; `RedisCache` always keeps snapshots, so 1 to 35.
 */
export const REDIS_SNAPSHOT_RETENTION_DAYS = { min: 1, max: 35 } as const;

/** What an ElastiCache node type looks like: `cache.<family>.<size>`, e.g. `cache.r7g.large`. */
export const ELASTICACHE_NODE_TYPE = /^cache\.[a-z0-9]+\.[a-z0-9]+$/;
