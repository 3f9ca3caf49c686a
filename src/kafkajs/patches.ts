/**
 * sluice's patches of kafkajs 2.2.4, in one import. Each replaces a module's export before
 * kafkajs' producer or consumer requires it, so import this before anything imports kafkajs: the
 * CLI's entry does, and so do the tests' setup and the benches that run sluice's client loop.
 *   grouping.ts  linear grouping of messages per partition (kafkajs' is quadratic)
 *   produce.ts   produce requests written in one buffer
 *   aborted.ts   the Java consumer's read_committed filter for aborted transactions
 *   records.ts   fetched records decoded in plain numbers
 *   fetcher.ts   each partition fetched again once its batch was handled, not once every partition's was
 *   static-membership.ts  group.instance.id sent by consumers made with staticConsumer (KIP-345);
 *                last: it loads kafkajs' consumer, which the patches above must precede
 */
import './grouping.js';
import './produce.js';
import './aborted.js';
import './records.js';
import './fetcher.js';
import './static-membership.js';
