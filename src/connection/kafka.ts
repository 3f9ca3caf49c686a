/**
 * kafkajs options from the resolved settings (https://kafka.js.org/docs/configuration#ssl,
 * #sasl), and the user errors a failed login or TLS handshake becomes.
 */
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { SluiceError } from '../errors.js';
import { errorChain, tlsFailure } from './failures.js';
import { defined } from './http.js';
import type { KafkaSecurity } from './types.js';

export function kafkaSecurityOptions(s: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (s?.tls) out.ssl = defined({ ...s.tls });
  const sasl = s?.sasl;
  if (sasl?.mechanism === 'oauthbearer') {
    out.sasl = { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await sasl.token() }) };
  } else if (sasl) {
    out.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions;
  }
  return out;
}

/** What the settings say about the connection, for messages: "SASL_SSL, SCRAM-SHA-512 as alice". */
export function describeKafka(s: KafkaSecurity | undefined): string {
  const protocol = `${s?.sasl ? 'SASL_' : ''}${s?.tls ? 'SSL' : 'PLAINTEXT'}`;
  const sasl = s?.sasl;
  return sasl ? `${protocol}, ${sasl.mechanism.toUpperCase()}${'username' in sasl ? ` as ${sasl.username}` : ''}` : protocol;
}

/** KAFKA_AUTH_FAILED / KAFKA_TLS_FAILED (or a connection setting's own error) for `e`; undefined otherwise. */
export function kafkaFailure(e: unknown, brokers: readonly string[], s: KafkaSecurity | undefined): SluiceError | undefined {
  const chain = errorChain(e);
  const own = chain.find((x): x is SluiceError => x instanceof SluiceError);
  if (own) return own; // e.g. the OAUTHBEARER token command failed
  const where = `${brokers.join(',')} (${describeKafka(s)})`;
  const sasl = chain.find((x) => x.name === 'KafkaJSSASLAuthenticationError');
  if (sasl) {
    const check = s?.sasl?.mechanism === 'oauthbearer'
      ? 'check the token (SLUICE_KAFKA_SASL_TOKEN_FILE or _COMMAND) and that the broker accepts OAUTHBEARER on this listener'
      : 'check SLUICE_KAFKA_SASL_USERNAME and SLUICE_KAFKA_SASL_PASSWORD (or SLUICE_KAFKA_SASL_PASSWORD_FILE), and that SLUICE_KAFKA_SASL_MECHANISM is one the listener enables';
    return new SluiceError('KAFKA_AUTH_FAILED', `Kafka at ${where} refused the login (${sasl.message}): ${check}`, {}, { cause: e });
  }
  const denied = chain.find((x) => /_AUTHORIZATION_FAILED$/.test(String((x as { type?: unknown }).type)));
  if (denied) {
    return new SluiceError('KAFKA_AUTH_FAILED', `Kafka at ${where} denied an operation (${(denied as { type?: string }).type}: ${denied.message}): grant this principal's ACLs on the topics, the group and the transactional ids (README, Production)`, {}, { cause: e });
  }
  return tlsFailure(e, 'Kafka', where, s?.tls?.ca !== undefined);
}
