/** The local stack's programmatic API (the CLI is cli.ts; the test setup is test/global-setup.ts). */
export { stackUp, type StackOptions, type StackUpResult, type ServiceUp } from './up.js';
export { stackDown, stackStatus, type StackDownOptions, type ServiceStatus } from './down.js';
export { loadStackEnv, type StackEnv, STACK_ENV_KEYS } from '../../src/connection/stack-env.js';
export { allAnswer, serviceAnswers } from './live.js';
export { probeKafka } from './kafka-probe.js';
export type { ServiceName } from './config.js';
