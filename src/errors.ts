/**
 * Every error sluice raises says whose fault it is and whether retrying can help
 * (after arroyo's UserError/ExternalError split and platformatic/kafka's closed code list).
 */
export const ErrorCodes = {
  // user: the topology, the input data or the command line is wrong; retrying will not help.
  TOPOLOGY_INVALID: { domain: 'user', retriable: false },
  TOPOLOGY_NOT_FOUND: { domain: 'user', retriable: false },
  SCHEMA_FILE_INVALID: { domain: 'user', retriable: false },
  BAD_MAGIC_BYTE: { domain: 'user', retriable: false },
  TRUNCATED_PAYLOAD: { domain: 'user', retriable: false },
  UNKNOWN_SCHEMA_ID: { domain: 'user', retriable: false },
  UNDECODABLE_PAYLOAD: { domain: 'user', retriable: false },
  SCHEMA_INCOMPATIBLE: { domain: 'user', retriable: false },
  MISSING_EVENT_TIME: { domain: 'user', retriable: false },
  MISSING_DEDUP_KEY: { domain: 'user', retriable: false },
  EVENT_TIME_OUT_OF_RANGE: { domain: 'user', retriable: false },
  EVENT_TIME_TOO_FAR_AHEAD: { domain: 'user', retriable: false },
  GROUP_KEY_TOO_LONG: { domain: 'user', retriable: false },
  /** `filter:` failed on the record's values (e.g. a cast of a bad value): the record is dead-lettered. */
  FILTER_FAILED: { domain: 'user', retriable: false },
  SOURCE_TOPIC_MISSING: { domain: 'user', retriable: false },
  BAD_ARGUMENT: { domain: 'user', retriable: false },
  PORT_IN_USE: { domain: 'user', retriable: false },
  /** Another live replica joined the group with this replica's --instance-id (FENCED_INSTANCE_ID): ids must be unique per replica. */
  INSTANCE_ID_IN_USE: { domain: 'user', retriable: false },
  SINK_PATH_UNWRITABLE: { domain: 'user', retriable: false },
  // user: a connection setting is wrong (README, Production); waiting would not fix it.
  CONNECTION_CONFIG_INVALID: { domain: 'user', retriable: false },
  KAFKA_AUTH_FAILED: { domain: 'user', retriable: false },
  KAFKA_TLS_FAILED: { domain: 'user', retriable: false },
  REGISTRY_AUTH_FAILED: { domain: 'user', retriable: false },
  REGISTRY_TLS_FAILED: { domain: 'user', retriable: false },
  REDIS_AUTH_FAILED: { domain: 'user', retriable: false },
  REDIS_TLS_FAILED: { domain: 'user', retriable: false },
  // external: a service sluice depends on failed; retry with backoff.
  KAFKA_UNAVAILABLE: { domain: 'external', retriable: true },
  REGISTRY_UNAVAILABLE: { domain: 'external', retriable: true },
  REDIS_UNAVAILABLE: { domain: 'external', retriable: true },
  STORAGE_UNAVAILABLE: { domain: 'external', retriable: true },
  PRODUCER_FENCED: { domain: 'external', retriable: false },
  STACK_START_FAILED: { domain: 'external', retriable: false },
  // internal: a bug in sluice.
  ILLEGAL_TRANSITION: { domain: 'internal', retriable: false },
  INTERNAL: { domain: 'internal', retriable: false },
} as const satisfies Record<string, { domain: 'user' | 'external' | 'internal'; retriable: boolean }>;

export type ErrorCode = keyof typeof ErrorCodes;
export type ErrorDomain = (typeof ErrorCodes)[ErrorCode]['domain'];

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly domain: ErrorDomain;
  readonly retriable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SluiceError';
    this.code = code;
    this.domain = ErrorCodes[code].domain;
    this.retriable = ErrorCodes[code].retriable;
    this.details = details;
  }
}

export const isSluiceError = (e: unknown, code?: ErrorCode): e is SluiceError =>
  e instanceof SluiceError && (code === undefined || e.code === code);
