/**
 * Test certificates made with openssl at start time (nothing secret is committed): a CA, a server
 * certificate for localhost / 127.0.0.1 signed by it (with a PKCS12 copy for the broker's
 * keystore), a client certificate for mTLS, and a second, unrelated CA that stands for "a CA that
 * did not sign the server's certificate".
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from '../cache.js';

export interface TestCerts {
  dir: string;
  ca: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** PKCS12 of the server key + certificate chain, for Kafka's ssl.keystore (type PKCS12). */
  serverP12: string;
  p12Password: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here. */
  otherCa: string;
}

const openssl = (args: string[], what: string) => exec('openssl', args, what);

async function ca(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '3', '-subj', `/CN=${name}`], `making the test CA ${name}`);
  return { cert, key };
}

async function signed(dir: string, name: string, issuer: { cert: string; key: string }, ext: string): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, `${ext}\n`);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`], `making the ${name} key`);
  await openssl(['x509', '-req', '-in', csr, '-CA', issuer.cert, '-CAkey', issuer.key, '-CAcreateserial', '-out', cert, '-days', '3', '-extfile', extFile], `signing the ${name} certificate`);
  return { cert, key };
}

export async function makeTestCerts(dir: string): Promise<TestCerts> {
  mkdirSync(dir, { recursive: true });
  const root = await ca(dir, 'sluice-test-ca');
  const other = await ca(dir, 'sluice-other-ca');
  const server = await signed(dir, 'localhost', root, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth');
  const client = await signed(dir, 'sluice-client', root, 'extendedKeyUsage=clientAuth');
  const p12Password = randomBytes(12).toString('hex');
  const serverP12 = join(dir, 'localhost.p12');
  await openssl(['pkcs12', '-export', '-in', server.cert, '-inkey', server.key, '-certfile', root.cert, '-name', 'localhost', '-out', serverP12, '-passout', `pass:${p12Password}`], 'exporting the broker keystore');
  return { dir, ca: root.cert, caKey: root.key, serverCert: server.cert, serverKey: server.key, serverP12, p12Password, clientCert: client.cert, clientKey: client.key, otherCa: other.cert };
}
