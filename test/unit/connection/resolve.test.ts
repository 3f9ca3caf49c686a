import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEndpoints } from '../../../src/cli/endpoints.js';
import { kafkaSecurityOptions } from '../../../src/connection/kafka.js';
import { connectionFromEnv, connectionFromFile, mergeConnections, resolveSecurity } from '../../../src/connection/resolve.js';
import { redactText } from '../../../src/telemetry/redact.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-conn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('connection settings from the environment', () => {
  it('maps every variable onto the connection block, a _FILE variable onto its *_file field', () => {
    const c = connectionFromEnv({
      KAFKA_BROKERS: 'a:9093, b:9093',
      SLUICE_KAFKA_TLS: 'true',
      SLUICE_KAFKA_TLS_CA_FILE: '/ca.pem',
      SLUICE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      SLUICE_KAFKA_SASL_USERNAME: 'alice',
      SLUICE_KAFKA_SASL_PASSWORD_FILE: '/pw',
      SLUICE_REGISTRY_TOKEN: 'tok',
      REDIS_URL: 'rediss://cache:6380',
      SLUICE_REDIS_PASSWORD: '',
    });
    expect(c).toEqual({
      kafka: { brokers: ['a:9093', 'b:9093'], tls: { enabled: true, ca_file: '/ca.pem' }, sasl: { mechanism: 'scram-sha-512', username: 'alice', password_file: '/pw' } },
      registry: { token: 'tok' },
      redis: { url: 'rediss://cache:6380' },
    });
  });

  it('names the variable, not its value, when one is wrong', () => {
    expect(() => connectionFromEnv({ SLUICE_KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(/^SLUICE_KAFKA_SASL_MECHANISM: /);
    expect(() => connectionFromEnv({ SLUICE_KAFKA_TLS: 'maybe' })).toThrow(/SLUICE_KAFKA_TLS: expected true or false/);
  });
});

describe('layers', () => {
  it('a higher layer replaces every form of a setting below it (value, _file, _command)', () => {
    const merged = mergeConnections(
      { kafka: { brokers: 'low:1', sasl: { mechanism: 'plain', username: 'u', password: 'inline' } } },
      { kafka: { sasl: { mechanism: 'plain', password_file: '/pw' } } },
    );
    expect(merged).toEqual({ kafka: { brokers: 'low:1', sasl: { mechanism: 'plain', username: 'u', password_file: '/pw' } } });
  });

  it('the CLI takes environment variables over the connection file over the topology block', () => {
    const f = file('conn.yaml', 'kafka:\n  brokers: file:1\nregistry:\n  url: http://file/\n');
    const ep = cliEndpoints(false, { topology: { kafka: { brokers: 'topo:1' }, registry: { url: 'http://topo/' } }, file: f, env: { SCHEMA_REGISTRY_URL: 'http://env/', SLUICE_STACK_DIR: dir } });
    expect(ep).toMatchObject({ brokers: ['file:1'], registryUrl: 'http://env/' });
  });

  it('a connection file with an unknown field is an error naming the file and field', () => {
    const f = file('bad.yaml', 'kafka:\n  sasl:\n    mechanism: plain\n    passwd: x\n');
    expect(() => connectionFromFile(f)).toThrow(/bad.yaml: kafka.sasl: Unrecognized key: "passwd"/);
  });
});

describe('resolveSecurity', () => {
  it('reads secret files once, trims a trailing newline, and masks the secret from then on', () => {
    const pw = file('pw', 'hunter2-secret\n');
    const s = resolveSecurity({ kafka: { sasl: { mechanism: 'scram-sha-256', username: 'bob', password_file: pw } } });
    expect(kafkaSecurityOptions(s.kafka)).toEqual({ sasl: { mechanism: 'scram-sha-256', username: 'bob', password: 'hunter2-secret' } });
    expect(redactText('login with hunter2-secret failed')).toBe('login with *** failed');
  });

  it('turns TLS on for a CA, a client certificate, or rediss://, and wants a certificate with its key', () => {
    const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
    const s = resolveSecurity({ kafka: { tls: { ca_file: ca, servername: 'localhost' } }, redis: { url: 'rediss://h:1' } });
    expect(kafkaSecurityOptions(s.kafka).ssl).toEqual({ ca: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n', servername: 'localhost' });
    expect(s.redis?.tls).toEqual({});
    expect(resolveSecurity({ kafka: {} }).kafka?.tls).toBeUndefined();
    expect(() => resolveSecurity({ kafka: { tls: { cert_file: ca } } })).toThrow(/needs both SLUICE_KAFKA_TLS_CERT_FILE and SLUICE_KAFKA_TLS_KEY_FILE/);
  });

  it('says which variable is wrong: both forms, an unreadable file, a missing password', () => {
    expect(() => resolveSecurity({ redis: { password: 'a', password_file: '/x' } })).toThrow(/either SLUICE_REDIS_PASSWORD or SLUICE_REDIS_PASSWORD_FILE/);
    expect(() => resolveSecurity({ redis: { password_file: join(dir, 'missing') } })).toThrow(/SLUICE_REDIS_PASSWORD_FILE: cannot read .*missing \(ENOENT\)/);
    expect(() => resolveSecurity({ kafka: { sasl: { mechanism: 'plain', username: 'u' } } })).toThrow(/SASL PLAIN needs SLUICE_KAFKA_SASL_USERNAME and SLUICE_KAFKA_SASL_PASSWORD/);
  });
});
