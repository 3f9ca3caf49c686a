import { describe, expect, it } from 'vitest';
import { kafkaFailure } from '../../../src/connection/kafka.js';
import { redisFailure, tlsFailure } from '../../../src/connection/failures.js';
import { SchemaSource } from '../../../src/serde/registry.js';

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });
// what kafkajs throws: its own error with the socket's error as originalError
const kafkaJs = (name: string, message: string, originalError?: Error): Error => Object.assign(new Error(message), { name, originalError });

describe('auth and TLS failures are user errors naming the service and the setting', () => {
  it('a self-signed broker without a CA: KAFKA_TLS_FAILED, set the CA', () => {
    const e = kafkaJs('KafkaJSConnectionError', 'Connection error: self-signed certificate in certificate chain', withCode('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'));
    const f = kafkaFailure(e, ['127.0.0.1:9093'], { tls: {} });
    expect(f).toMatchObject({ code: 'KAFKA_TLS_FAILED', domain: 'user', retriable: false });
    expect(f!.message).toMatch(/^TLS with Kafka at 127.0.0.1:9093 \(SSL\) failed .*set SLUICE_KAFKA_TLS_CA_FILE to the CA that issued it/);
  });

  it('a CA that did not sign the certificate says so', () => {
    const f = tlsFailure(withCode('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'the schema registry', 'https://r', true);
    expect(f).toMatchObject({ code: 'REGISTRY_TLS_FAILED' });
    expect(f!.message).toMatch(/not signed by the CA in SLUICE_REGISTRY_TLS_CA_FILE/);
  });

  it('a refused SASL login: KAFKA_AUTH_FAILED with the mechanism and user, no password', () => {
    const f = kafkaFailure(kafkaJs('KafkaJSSASLAuthenticationError', 'SASL SCRAM SHA512 authentication failed: Authentication failed'), ['b:1'], { tls: {}, sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'pw-x' } });
    expect(f!.message).toMatch(/^Kafka at b:1 \(SASL_SSL, SCRAM-SHA-512 as alice\) refused the login/);
    expect(f!.message).not.toContain('pw-x');
  });

  it('an outage is none of these', () => {
    expect(kafkaFailure(kafkaJs('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED', withCode('connect ECONNREFUSED', 'ECONNREFUSED')), ['b:1'], undefined)).toBeUndefined();
    expect(redisFailure(withCode('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED'), 'h:1', false)).toBeUndefined();
  });

  it('Redis WRONGPASS and NOAUTH are REDIS_AUTH_FAILED', () => {
    expect(redisFailure(new Error('WRONGPASS invalid username-password pair or user is disabled.'), 'h:1', false)).toMatchObject({ code: 'REDIS_AUTH_FAILED', message: expect.stringMatching(/^Redis at h:1 refused the user name or password/) });
    expect(redisFailure(new Error('NOAUTH Authentication required.'), 'h:1', false)!.message).toMatch(/requires a password/);
  });

  it('a registry that answers 401 is REGISTRY_AUTH_FAILED at the startup check; a bearer token is sent as such', async () => {
    const seen: Array<Record<string, string>> = [];
    const fake = (async (_url: string, init: RequestInit) => {
      seen.push(init.headers as Record<string, string>);
      return new Response('{}', { status: 401 });
    }) as unknown as typeof fetch;
    const source = new SchemaSource('https://registry/apis/ccompat/v7', { fetch: fake, security: { token: 'tok-abc' } });
    await expect(source.check()).rejects.toMatchObject({ code: 'REGISTRY_AUTH_FAILED', message: expect.stringMatching(/answered 401 Unauthorized: check the token in SLUICE_REGISTRY_TOKEN/) });
    expect(seen[0]).toMatchObject({ authorization: 'Bearer tok-abc' });
    source.close();
  });
});
