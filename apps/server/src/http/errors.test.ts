// Tests of the mapping from errors to RFC 9457 problems.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES, ERROR_STATUS, ERROR_TITLES, problemType } from '@valise/protocol';
import { AppError, toProblem } from './errors.js';

describe('toProblem', () => {
  it('maps every code to its status, title and type', () => {
    for (const code of ERROR_CODES) {
      const { problem, internal } = toProblem(new AppError(code));
      assert.equal(internal, false);
      assert.equal(problem.status, ERROR_STATUS[code]);
      assert.equal(problem.title, ERROR_TITLES[code]);
      assert.equal(problem.type, problemType(code));
      assert.equal(problem.code, code);
    }
  });

  it('carries detail and extras, but never the logged reason or the cause', () => {
    const error = new AppError('code_invalid', {
      detail: 'Check the code in the latest message.',
      extra: { attemptsLeft: 2 },
      reason: 'hash mismatch',
      cause: new Error('inner'),
    });
    assert.deepEqual(toProblem(error).problem, {
      type: problemType('code_invalid'), title: ERROR_TITLES.code_invalid, status: 400, code: 'code_invalid',
      detail: 'Check the code in the latest message.', attemptsLeft: 2,
    });
    assert.equal(error.status, 400);
  });

  it('turns anything unknown into a bare internal_error', () => {
    for (const error of [new Error('secret detail'), 'a string', null, Object.assign(new Error('x'), { statusCode: 400 })]) {
      const { problem, internal } = toProblem(error);
      assert.equal(internal, true);
      assert.deepEqual(problem, { type: problemType('internal_error'), title: ERROR_TITLES.internal_error, status: 500, code: 'internal_error' });
    }
  });

  it('maps Fastify request errors by code, then by status', () => {
    const fastify = (code: string, statusCode: number) => Object.assign(new Error(code), { code, statusCode });
    assert.equal(toProblem(fastify('FST_ERR_CTP_BODY_TOO_LARGE', 413)).problem.code, 'payload_too_large');
    assert.equal(toProblem(fastify('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)).problem.code, 'unsupported_media_type');
    assert.equal(toProblem(fastify('FST_ERR_CTP_INVALID_JSON_BODY', 400)).problem.code, 'validation_failed');
    assert.equal(toProblem(fastify('FST_ERR_NOT_FOUND', 404)).problem.code, 'not_found');
    assert.equal(toProblem(fastify('FST_ERR_SOMETHING', 400)).problem.code, 'validation_failed');
    assert.equal(toProblem(fastify('FST_ERR_SOMETHING', 500)).internal, true);
  });
});
