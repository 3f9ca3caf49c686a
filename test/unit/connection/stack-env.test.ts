/** stack.env round trip, the S3 server's lines (names with digits) included. */
import { describe, expect, it } from 'vitest';
import { formatEnv, parseEnvFile } from '../../../src/connection/stack-env.js';

describe('stack.env', () => {
  it('reads back what it writes, S3 endpoint and keys included; other lines are ignored', () => {
    const env = { KAFKA_BROKERS: '127.0.0.1:19092', SLUICE_S3_ENDPOINT: 'http://127.0.0.1:18090', SLUICE_S3_ACCESS_KEY_ID: 'sluice', SLUICE_S3_SECRET_ACCESS_KEY: 's=cr/t' };
    expect(parseEnvFile(`# comment\n${formatEnv(env)}\nOTHER=x\n`)).toEqual(env);
  });
});
