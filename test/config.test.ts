import { describe, expect, test } from 'bun:test';
import { ConfigError, parseCommandLine, renderHelp, SETTINGS } from '../src/config.ts';

const run = (argv: string[], env: Record<string, string> = {}) => {
  const cmd = parseCommandLine(argv, env);
  if (cmd.kind !== 'run') throw new Error('expected run');
  return cmd.config;
};

describe('config', () => {
  test('defaults', () => {
    const c = run([], { API_KEYS: 'k1' });
    expect(c).toMatchObject({ host: '0.0.0.0', port: 8088, dbPath: './data/kimi-gateway.sqlite', upstreamBaseUrl: 'https://kimi-ai.chat', contextMaxLength: 1000 });
  });

  test('flags win over the environment, in both --flag value and --flag=value forms', () => {
    const c = run(['--port', '9000', '--upstream=http://127.0.0.1:5/'], { PORT: '1234', UPSTREAM_BASE_URL: 'http://x', API_KEYS: 'k' });
    expect(c.port).toBe(9000);
    expect(c.upstreamBaseUrl).toBe('http://127.0.0.1:5');
  });

  test('several keys, plus the seed API_MASTER_KEY', () => {
    expect(run([], { API_KEYS: 'a, b,,c', API_MASTER_KEY: 'm' }).apiKeys).toEqual(['a', 'b', 'c', 'm']);
  });

  test("the seed's API_MASTER_KEY=1 means no key", () => {
    const c = run([], { API_MASTER_KEY: '1' });
    expect(c.apiKeys).toEqual([]);
    expect(c.host).toBe('127.0.0.1');
  });

  test('without a key the gateway never binds a public interface', () => {
    const c = run(['--host', '0.0.0.0'], {});
    expect(c.host).toBe('127.0.0.1');
    expect(c.loopbackOnlyBecauseNoKey).toBe(true);
    expect(run(['--host', '0.0.0.0'], { API_KEYS: 'k' }).host).toBe('0.0.0.0');
  });

  test('invalid values name the setting and the problem', () => {
    expect(() => run(['--port', 'abc'])).toThrow(ConfigError);
    expect(() => run(['--port', 'abc'])).toThrow(/--port: "abc" is not a whole number between 0 and 65535/);
    expect(() => run([], { PORT: '70000' })).toThrow(/PORT: "70000"/);
    expect(() => run([], { UPSTREAM_BASE_URL: 'ftp://x' })).toThrow(/UPSTREAM_BASE_URL/);
    expect(() => run([], { CONTEXT_MAX_LENGTH: '-5' })).toThrow(/CONTEXT_MAX_LENGTH/);
    expect(() => run([], { LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL: "loud"/);
    expect(() => run(['--nope'])).toThrow(/Unknown argument "--nope"/);
    expect(() => run(['--port'])).toThrow(/--port needs a value/);
  });

  test('REDIS_URL: redis://, rediss:// and redis+unix:// with a socket path; anything else is refused without repeating the value', () => {
    const redis = (value: string) => run([], { API_KEYS: 'k', REDIS_URL: value }).redisUrl;
    expect(redis('redis://:pw@10.0.0.5:6380/2')).toBe('redis://:pw@10.0.0.5:6380/2');
    expect(redis('rediss://cache.example')).toBe('rediss://cache.example');
    expect(redis('redis+unix:///run/redis/redis-server.sock')).toBe('redis+unix:///run/redis/redis-server.sock');
    expect(redis('redis+unix://:pw@localhost/run/redis/redis-server.sock')).toBe('redis+unix://:pw@localhost/run/redis/redis-server.sock');
    for (const bad of ['http://:secret-1@host', 'redis+unix://', 'redis+unix://:secret-2@/run/redis.sock', 'unix:///run/redis.sock']) {
      let message = '';
      try {
        redis(bad);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message).toStartWith('REDIS_URL: ');
      expect(message).not.toContain('secret-');
    }
  });

  test('the keep-alive interval must be below the idle timeout, which uWS cannot honour below 5 s', () => {
    expect(run([], { IDLE_TIMEOUT_SECONDS: '60', KEEPALIVE_INTERVAL_MS: '45000' })).toMatchObject({ idleTimeoutSeconds: 60, keepAliveIntervalMs: 45_000 });
    expect(() => run([], { IDLE_TIMEOUT_SECONDS: '5', KEEPALIVE_INTERVAL_MS: '5000' })).toThrow(/KEEPALIVE_INTERVAL_MS \(5000\) must be below IDLE_TIMEOUT_SECONDS \(5 s\)/);
    expect(() => run([], { IDLE_TIMEOUT_SECONDS: '4' })).toThrow(/IDLE_TIMEOUT_SECONDS: "4" is not a whole number between 5 and 255/);
  });

  test('--help and --version', () => {
    expect(parseCommandLine(['--help'], {}).kind).toBe('help');
    expect(parseCommandLine(['--version'], {}).kind).toBe('version');
    const help = renderHelp('1.2.3');
    for (const s of Object.values(SETTINGS)) for (const name of s.env) expect(help).toContain(name);
  });
});
