// Test support: the bounds every API schema must have. Every object closed, every string bounded (maxLength, or a
// pattern of fixed length), every array bounded. Used by the schema tests; never imported by library code.

type Schema = Record<string, unknown> & { type?: string; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[] };

/**
 * The problems of every schema a module exports (`Name.field|union-branch[]: what`). `unboundedArrayAllowed` names
 * the paths where an array may stay unbounded (a list the server answers with, not one a client sends).
 */
export function schemaBoundsProblems(module: Record<string, unknown>, unboundedArrayAllowed: (path: string) => boolean = () => false): string[] {
  const problems: string[] = [];
  const walk = (schema: Schema, path: string): void => {
    if (schema.anyOf) schema.anyOf.forEach((s, i) => walk(s, `${path}|${i}`));
    if (schema.type === 'object') {
      if (schema.additionalProperties !== false) problems.push(`${path}: open object`);
      for (const [key, value] of Object.entries(schema.properties ?? {})) walk(value, `${path}.${key}`);
    }
    if (schema.type === 'string' && schema.const === undefined && schema.maxLength === undefined && !/^\^[^*+]*\{\d+\}\$$/.test(String(schema.pattern ?? ''))) {
      problems.push(`${path}: unbounded string`);
    }
    if (schema.type === 'array') {
      if (schema.maxItems === undefined && !unboundedArrayAllowed(path)) problems.push(`${path}: unbounded array`);
      walk(schema.items!, `${path}[]`);
    }
  };
  for (const [name, value] of Object.entries(module)) {
    if (typeof value === 'object' && value !== null && ('type' in value || 'anyOf' in value)) walk(value as Schema, name);
  }
  return problems;
}
