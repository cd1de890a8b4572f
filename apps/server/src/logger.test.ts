// Tests of the logger: JSON lines, redaction, path-only request logging.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, pathOnly } from './logger.js';

describe('logger', () => {
  it('writes JSON lines with an ISO time and redacts credential headers', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', stream: { write: (line: string) => void lines.push(line) } });
    logger.info({ headers: { authorization: 'Bearer abc', cookie: 'sid=abc', 'user-agent': 'curl' } }, 'hello');
    const entry = JSON.parse(lines[0]!) as { time: string; msg: string; service: string; headers: Record<string, string> };
    assert.match(entry.time, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(entry.msg, 'hello');
    assert.equal(entry.service, 'valise-server');
    assert.deepEqual(entry.headers, { authorization: '[redacted]', cookie: '[redacted]', 'user-agent': 'curl' });
  });

  it('logs requests by path only', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', stream: { write: (line: string) => void lines.push(line) } });
    logger.info({ req: { method: 'GET', url: '/api/v1/x?token=abc', ip: '10.0.0.1', headers: { cookie: 'c' } } }, 'r');
    assert.deepEqual((JSON.parse(lines[0]!) as { req: unknown }).req, { method: 'GET', path: '/api/v1/x', ip: '10.0.0.1' });
    assert.equal(pathOnly('/a/b#frag'), '/a/b');
    assert.equal(pathOnly('/a/b'), '/a/b');
  });

  it('stays quiet below its level', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', stream: { write: (line: string) => void lines.push(line) } });
    logger.info('not shown');
    logger.warn('shown');
    assert.equal(lines.length, 1);
  });
});
