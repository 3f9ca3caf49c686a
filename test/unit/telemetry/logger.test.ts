import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, taskLogger } from '../../../src/telemetry/logger.js';

const saved = { LOG_LEVEL: process.env.LOG_LEVEL, LOG_FORMAT: process.env.LOG_FORMAT };
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('logger', () => {
  it('takes its level from LOG_LEVEL (default info) and an option over both', () => {
    delete process.env.LOG_LEVEL;
    expect(createLogger({ pretty: false }).level).toBe('info');
    process.env.LOG_LEVEL = 'debug';
    expect(createLogger({ pretty: false }).level).toBe('debug');
    expect(createLogger({ level: 'warn', pretty: false }).level).toBe('warn');
  });

  it('binds topology and partition on a task logger', () => {
    const child = taskLogger(createLogger({ pretty: false }), 'page-views', 4);
    expect(child.bindings()).toEqual({ topology: 'page-views', partition: 4 });
  });

  it('LOG_FORMAT=json or pretty picks the format without a terminal check', () => {
    process.env.LOG_FORMAT = 'json';
    expect(() => createLogger()).not.toThrow();
    process.env.LOG_FORMAT = 'pretty';
    expect(() => createLogger().info('pretty line')).not.toThrow();
  });
});

describe('logger redaction', () => {
  it('masks URL passwords in messages and string fields of every line', () => {
    const lines: string[] = [];
    const log = createLogger({ pretty: false, level: 'info', destination: { write: (s: string) => void lines.push(s) } });
    log.warn({ err: 'GET http://alice:s3cret@registry:8081/apis/ccompat/v7/subjects failed', url: 'redis://:hunter2@cache:6379', n: 3 }, 'cannot reach http://alice:s3cret@registry:8081/x');
    log.child({ topology: 't' }).info('connected to redis://bob:hunter2@cache:6379/0');
    const text = lines.join('');
    expect(text).not.toMatch(/s3cret|hunter2/);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ msg: 'cannot reach http://alice:***@registry:8081/x', url: 'redis://:***@cache:6379', n: 3 });
    expect(JSON.parse(lines[1]!)).toMatchObject({ topology: 't', msg: 'connected to redis://bob:***@cache:6379/0' });
  });
});
