/**
 * Checks a recorded request against 3CX's contract: XAPI requests against the 20.0.10 OpenAPI file
 * (path template, method, query options, body properties and enum values, recursively through $ref
 * and allOf); the token endpoint against the file's `securitySchemes`; Call Control requests, which no
 * OpenAPI file describes, against the endpoint list in reference/3cx.md §8.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Call Control endpoints as documented by 3CX (reference/3cx.md §8), "METHOD /path". */
export const CALLCONTROL_ENDPOINTS = [
  'GET /callcontrol',
  'GET /callcontrol/ws',
  'GET /callcontrol/{dn}',
  'GET /callcontrol/{dn}/devices',
  'GET /callcontrol/{dn}/participants',
  'GET /callcontrol/{dn}/participants/{id}',
  'POST /callcontrol/{dn}/makecall',
  'POST /callcontrol/{dn}/devices/{deviceid}/makecall',
  'POST /callcontrol/{dn}/participants/{id}/{action}',
] as const;

const TOKEN_FORM = new Set(['client_id', 'client_secret', 'grant_type']);

// The OpenAPI document is untyped JSON-like data; `Schema` names what we read of it.
interface Schema {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  type?: string;
}
interface Operation {
  parameters?: Array<{ $ref?: string; name?: string }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
interface Spec {
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    parameters: Record<string, { name: string }>;
    securitySchemes: { Application: { flows: { clientCredentials: { tokenUrl: string } } } };
  };
}

export interface ContractRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

export class OpenApiContract {
  private readonly spec: Spec;
  private readonly templates: Array<{ template: string; regex: RegExp }>;

  constructor(
    file = fileURLToPath(new URL('../../fixtures/3cx/xapi-v20.0.10.swagger.yaml', import.meta.url)),
  ) {
    this.spec = parse(readFileSync(file, 'utf8')) as Spec;
    this.templates = Object.keys(this.spec.paths)
      .map((template) => ({ template, regex: templateRegex(template) }))
      .sort((a, b) => paramCount(a.template) - paramCount(b.template));
  }

  /** "METHOD template" of a request, e.g. "PATCH /xapi/v1/Users({Id})", or null when not in the contract. */
  operationOf(req: ContractRequest): string | null {
    const base = this.spec.servers[0]?.url ?? '/xapi/v1';
    if (req.path.startsWith(`${base}/`) || req.path === base) {
      const found = this.findTemplate(req.method, req.path.slice(base.length));
      return found ? `${req.method} ${base}${found}` : null;
    }
    if (req.path === this.tokenUrl()) return req.method === 'POST' ? `POST ${req.path}` : null;
    const cc = CALLCONTROL_ENDPOINTS.find(
      (e) => e.startsWith(`${req.method} `) && templateRegex(e.slice(e.indexOf(' ') + 1)).test(req.path),
    );
    return cc ?? null;
  }

  /** Everything about `req` the contract does not allow; empty when it conforms. */
  violations(req: ContractRequest): string[] {
    const op = this.operationOf(req);
    if (!op) return [`${req.method} ${req.path}: no such operation`];
    if (req.path === this.tokenUrl()) return this.tokenViolations(req);
    if (!req.path.startsWith('/xapi/'))
      return Object.keys(req.query).length ? [`${op}: unexpected query`] : [];
    const template = op.slice(op.indexOf(' ') + 1 + (this.spec.servers[0]?.url ?? '').length);
    const operation = this.spec.paths[template]?.[req.method.toLowerCase()] ?? {};
    return [
      ...this.queryViolations(op, operation, req.query),
      ...this.bodyViolations(op, operation, req.body),
    ];
  }

  tokenUrl(): string {
    return this.spec.components.securitySchemes.Application.flows.clientCredentials.tokenUrl;
  }

  private findTemplate(method: string, path: string): string | undefined {
    const m = method.toLowerCase();
    return this.templates.find((t) => t.regex.test(path) && this.spec.paths[t.template]?.[m])?.template;
  }

  private tokenViolations(req: ContractRequest): string[] {
    const form = (req.body ?? {}) as Record<string, unknown>;
    const extra = Object.keys(form).filter((k) => !TOKEN_FORM.has(k));
    const grant = form.grant_type === 'client_credentials' ? [] : ['grant_type is not client_credentials'];
    return [...extra.map((k) => `token form field ${k}`), ...grant];
  }

  private queryViolations(op: string, operation: Operation, query: Record<string, string>): string[] {
    const allowed = new Set(
      (operation.parameters ?? []).map((p) => (p.$ref ? this.parameter(p.$ref) : p.name)),
    );
    return Object.keys(query)
      .filter((k) => !allowed.has(k))
      .map((k) => `${op}: query option ${k}`);
  }

  private bodyViolations(op: string, operation: Operation, body: unknown): string[] {
    if (body === null || body === undefined) return [];
    const schema = operation.requestBody?.content?.['application/json']?.schema;
    if (!schema) return [`${op}: sends a body the operation does not take`];
    return this.check(schema, body, `${op} body`);
  }

  private check(schema: Schema, value: unknown, at: string): string[] {
    const enumValues = this.enumOf(schema);
    if (enumValues && !enumValues.includes(value)) return [`${at}: ${JSON.stringify(value)} not in enum`];
    if (Array.isArray(value)) {
      const items = this.resolve(schema).items;
      return items ? value.flatMap((v, i) => this.check(items, v, `${at}[${i}]`)) : [];
    }
    if (!value || typeof value !== 'object') return [];
    const props = this.propertiesOf(schema);
    return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) => {
      const prop = props[key];
      return prop ? this.check(prop, v, `${at}.${key}`) : [`${at}.${key}: no such property`];
    });
  }

  private propertiesOf(schema: Schema): Record<string, Schema> {
    const s = this.resolve(schema);
    const inherited = (s.allOf ?? []).map((part) => this.propertiesOf(part));
    return Object.assign({}, ...inherited, s.properties);
  }

  private enumOf(schema: Schema): unknown[] | undefined {
    const s = this.resolve(schema);
    if (s.enum) return s.enum;
    return s.allOf?.length === 1 && s.allOf[0] ? this.enumOf(s.allOf[0]) : undefined;
  }

  private resolve(schema: Schema): Schema {
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = this.spec.components.schemas[name];
    if (!target) throw new Error(`unresolvable $ref ${schema.$ref}`);
    return this.resolve(target);
  }

  private parameter(ref: string): string | undefined {
    return this.spec.components.parameters[ref.replace('#/components/parameters/', '')]?.name;
  }
}

function templateRegex(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\{[^}]+\}/g, '[^/]+')}$`);
}

function paramCount(template: string): number {
  return (template.match(/\{/g) ?? []).length;
}
