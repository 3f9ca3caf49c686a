import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jwtExpiry, tokenProvider } from '../../../src/connection/oauth.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-oauth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const jwt = (claims: object): string => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

describe('OAUTHBEARER tokens', () => {
  it('re-reads a token file at every login, so a rotated token is used', async () => {
    const f = join(dir, 'token');
    writeFileSync(f, 'first-token\n');
    const token = tokenProvider({ tokenFile: f });
    expect(await token()).toBe('first-token');
    writeFileSync(f, 'second-token');
    expect(await token()).toBe('second-token');
  });

  it('runs a command again only when its JWT is within a minute of exp', async () => {
    const counter = join(dir, 'runs');
    writeFileSync(counter, '');
    let now = 1_000_000;
    const exp = Math.floor(now / 1000) + 120; // two minutes ahead
    const token = tokenProvider({ command: `echo x >> ${counter}; echo ${jwt({ sub: 'sluice', exp })}` }, () => now);
    await token();
    await token();
    expect((await import('node:fs')).readFileSync(counter, 'utf8')).toBe('x\n');
    now += 61_000;
    await token();
    expect((await import('node:fs')).readFileSync(counter, 'utf8')).toBe('x\nx\n');
  });

  it('a failing command is a connection error with its exit status', async () => {
    await expect(tokenProvider({ command: 'echo nope >&2; exit 3' })()).rejects.toMatchObject({ code: 'CONNECTION_CONFIG_INVALID', message: expect.stringMatching(/exit 3\): nope/) });
    expect(() => tokenProvider({})).toThrow(/exactly one of/);
  });

  it('reads exp from a JWT and nothing from other tokens', () => {
    expect(jwtExpiry(jwt({ exp: 10 }))).toBe(10_000);
    expect(jwtExpiry('opaque')).toBeUndefined();
  });
});
