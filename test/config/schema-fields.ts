/**
 * Every field of the configuration schema as a documentation path (`server.port`, `auth.keys[].name`,
 * `pbx[].ami.host`), read from the zod schema itself so docs and examples can be checked against it.
 */
import { z } from 'zod';
import { configSchema } from '../../src/bridge/config/schema.js';

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  const?: unknown;
  default?: unknown;
}

export interface SchemaField {
  path: string;
  /** For fields of one PBX kind only. */
  kind?: string;
  default?: unknown;
}

function walk(schema: JsonSchema, path: string, kind: string | undefined, out: SchemaField[]): void {
  const options = schema.anyOf ?? schema.oneOf;
  // A union of objects (the PBX kinds) is walked per option; a union of scalars (a nullable field) is one leaf.
  if (options?.some((o) => o.properties)) {
    for (const option of options) {
      const constKind = option.properties?.kind?.const;
      // A nullable field's default (e.g. `null`) sits on the union, not on its options.
      const withDefault =
        option.default === undefined && schema.default !== undefined
          ? { ...option, default: schema.default }
          : option;
      walk(withDefault, path, typeof constKind === 'string' ? constKind : kind, out);
    }
    return;
  }
  if (
    schema.type === 'array' &&
    schema.items &&
    (schema.items.properties || schema.items.anyOf || schema.items.oneOf)
  ) {
    walk(schema.items, `${path}[]`, kind, out);
    return;
  }
  if (schema.properties) {
    for (const [name, child] of Object.entries(schema.properties))
      walk(child, path ? `${path}.${name}` : name, kind, out);
    return;
  }
  out.push({
    path,
    ...(kind ? { kind } : {}),
    ...(schema.default !== undefined ? { default: schema.default } : {}),
  });
}

/** Leaf fields; a field present in several PBX kinds is listed once per kind. */
export function schemaFields(): SchemaField[] {
  const json = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out: SchemaField[] = [];
  walk(json, '', undefined, out);
  return out;
}

/** Leaf paths present in a parsed YAML document, in the same notation. */
export function documentPaths(value: unknown, path = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) documentPaths(item, `${path}[]`, out);
  } else if (value !== null && typeof value === 'object' && !path.endsWith('presenceMap')) {
    for (const [key, child] of Object.entries(value))
      documentPaths(child, path ? `${path}.${key}` : key, out);
  } else {
    out.add(path);
  }
  return out;
}
