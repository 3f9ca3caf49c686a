// The client as the bench imports it: resolved from this folder's node_modules, not sluice's.
export * from '@platformatic/kafka';
