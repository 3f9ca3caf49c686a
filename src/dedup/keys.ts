/**
 * Redis key names for dedup. Every key carries the hash tag `{<topology>}` so that all keys one
 * Lua call touches hash to one slot (required on Redis Cluster, free on a single Redis); the cost
 * is that one topology's dedup keys live on one shard. Topology names cannot contain braces
 * (src/topology/schema.ts), so the tag is exactly the topology and two topologies never collide.
 * https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags
 */

/**
 * `dedup:{<topology>}:<key>`; the value stored under it is the position that first saw the key,
 * `<partition>:<offset>`, which the admit script builds (redis-store.ts).
 */
export const dedupKey = (topology: string, key: string): string => `dedup:{${topology}}:${key}`;

/** Marker of a partition: its own prefix, so no dedup key (any user string) can equal it. */
export const markerKey = (topology: string, partition: number): string => `dedup-marker:{${topology}}:${partition}`;
