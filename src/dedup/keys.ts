/**
 * Redis key names for dedup. Every key carries the hash tag `{<topology>}` so that all keys one
 * Lua call touches hash to one slot (required on Redis Cluster, free on a single Redis); the cost
 * is that one topology's dedup keys live on one shard. Topology names cannot contain braces
 * (src/topology/schema.ts), so the tag is exactly the topology and two topologies never collide.
 * https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags
 * Each kind has its own prefix, so no user-chosen dedup key can name a slot, a marker or the format.
 */

/**
 * `dedup-slot:{<topology>}:<slot>`: a hash of the keys first seen in one time slice (field = dedup
 * key, value = `<partition>:<offset>` of the record that claimed it), expiring as a whole
 * (admit-script.ts). The script appends the slot number to this prefix.
 */
export const slotPrefix = (topology: string): string => `dedup-slot:{${topology}}:`;

/** `dedup-format:{<topology>}`: `<slice ms> <legacy lookups until, epoch ms>`, kept 3 TTLs past the last use (admit-script.ts). */
export const formatKey = (topology: string): string => `dedup-format:{${topology}}`;

/**
 * sluice 0.1.0's format, before slots: one string key per dedup key, `dedup:{<topology>}:<key>`,
 * holding the claiming position, with its own TTL. Read, never written, for one TTL after an upgrade.
 */
export const legacyKey = (topology: string, key: string): string => `dedup:{${topology}}:${key}`;

/** Marker of a partition: its own prefix, so no dedup key (any user string) can equal it. */
export const markerKey = (topology: string, partition: number): string => `dedup-marker:{${topology}}:${partition}`;
