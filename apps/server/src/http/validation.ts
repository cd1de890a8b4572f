// Request validation: unknown fields are refused (never silently dropped) and bodies are never type-coerced.
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type ValidatorFactory = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']
>;

// Fastify's own Ajv compiler (resolved through Fastify, so it is the version Fastify was built with).
const requireFromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));

// The slice of @fastify/ajv-compiler's API used here.
type RouteSchema = { schema: unknown; method: string; url: string; httpPart?: string };
type Validate = (data: unknown) => boolean;
type CompilerPool = (
  externalSchemas: unknown,
  options: { plugins?: unknown[]; customOptions: Record<string, unknown> },
) => (route: RouteSchema) => Validate;
const { AjvCompiler } = requireFromFastify('@fastify/ajv-compiler') as { AjvCompiler: () => CompilerPool };

const COMMON = {
  // Fastify's default removes unknown properties; a client sending a field we do not know has a bug or a plan,
  // and either way the answer is validation_failed. Every schema therefore says additionalProperties: false.
  removeAdditional: false,
  useDefaults: true,
  // allErrors would let one request make Ajv walk a huge document (Fastify's warning); the first error suffices.
  allErrors: false,
} as const;

/**
 * Two Ajv instances, chosen per request part: bodies are JSON and must already have the right types ("5" is not
 * 5), while path parameters, query strings and headers are text by nature and are coerced to their schema types.
 */
export function validatorFactory(): ValidatorFactory {
  const bodyPool = AjvCompiler();
  const otherPool = AjvCompiler();
  const factory = (externalSchemas: unknown, options?: { plugins?: unknown[] }) => {
    const plugins = options?.plugins ?? [];
    const body = bodyPool(externalSchemas, { plugins, customOptions: { ...COMMON, coerceTypes: false } });
    const other = otherPool(externalSchemas, { plugins, customOptions: { ...COMMON, coerceTypes: 'array' } });
    return (route: RouteSchema) => (route.httpPart === 'body' ? body(route) : other(route));
  };
  return factory as unknown as ValidatorFactory;
}
