/** Connection settings once resolved (files read, secrets registered): what the clients are built from. */

/** node:tls options sluice sets; `undefined` fields mean the defaults (system CAs, no client certificate). */
export interface TlsSettings { ca?: string; cert?: string; key?: string; passphrase?: string; servername?: string }

export type KafkaSasl =
  | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  | { mechanism: 'oauthbearer'; token: () => Promise<string> };

export interface KafkaSecurity { tls?: TlsSettings; sasl?: KafkaSasl }
export interface RegistrySecurity { username?: string; password?: string; token?: string; tls?: TlsSettings }
export interface RedisSecurity { username?: string; password?: string; tls?: TlsSettings }

export interface Security { kafka?: KafkaSecurity; registry?: RegistrySecurity; redis?: RedisSecurity }
