/**
 * The status catalogue as code (README "Status types as code"): GET /v1/status-types/export (JSON or YAML) and
 * PUT /v1/status-types (the whole catalogue, JSON or YAML; ?dryRun=true answers the diff only). Admin only. A plugin
 * of its own so the YAML body parser applies to these routes and no other.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { CatalogImporter } from '../../catalog/catalog-import.js';
import { catalogEntries } from '../../catalog/catalog-plan.js';
import { ApiError } from '../../errors.js';
import { BODY_LIMIT_BYTES } from '../app.js';
import { ADMIN_ONLY, authorize } from '../auth.js';
import { errorResponses } from '../schemas/common.js';
import {
  catalogDiffBody,
  catalogDocumentBody,
  catalogExportBody,
  catalogExportQuery,
  catalogImportQuery,
} from '../schemas/status-types.js';

export interface StatusTypeCatalogRoutesDeps {
  importer: CatalogImporter;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
const tags = ['status types'];
const security = [{ bearer: [] }];

export const statusTypeCatalogRoutes =
  (deps: StatusTypeCatalogRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    installYamlParser(app);

    app.get(
      '/status-types/export',
      {
        config: { access: ADMIN_ONLY },
        schema: {
          tags,
          security,
          summary:
            'Export the whole status catalogue (admin): JSON, or YAML with Accept: application/yaml or format=yaml',
          querystring: catalogExportQuery,
          produces: ['application/json', 'application/yaml'],
          response: { 200: catalogExportBody, ...errorResponses() },
        },
      },
      async (request, reply) => {
        authorize(request, ADMIN_ONLY);
        const document = { statusTypes: await deps.importer.export() };
        if ((request.query.format ?? negotiated(request)) === 'json') return document;
        // The typed reply knows only the JSON shape; a string with a non-JSON content type is sent as is.
        return reply.type('application/yaml; charset=utf-8').send(yamlDocument(document) as never);
      },
    );

    app.put(
      '/status-types',
      {
        config: { access: ADMIN_ONLY },
        schema: {
          tags,
          security,
          summary:
            'Replace the whole status catalogue (admin; JSON or YAML body, as the export gives it). Idempotent; ' +
            'dryRun=true answers the diff and changes nothing; a refused delete refuses it all (409 ' +
            'STATUS_TYPE_IN_USE, details: the diff) unless keepRefused=true',
          querystring: catalogImportQuery,
          consumes: ['application/json', 'application/yaml'],
          body: catalogDocumentBody,
          response: { 200: catalogDiffBody, ...errorResponses(409) },
        },
      },
      async (request) => {
        authorize(request, ADMIN_ONLY);
        const { dryRun, keepRefused } = request.query;
        return deps.importer.import(catalogEntries(request.body.statusTypes), {
          dryRun: dryRun === true,
          keepRefused: keepRefused === true,
        });
      },
    );
  };

/** JSON unless Accept names a YAML type before (or without) application/json. */
function negotiated(request: FastifyRequest): 'json' | 'yaml' {
  const accepted = (request.headers.accept ?? '').split(',').map((part) => part.split(';')[0]?.trim());
  const first = accepted.find((type) => type === 'application/json' || YAML_TYPES.includes(type ?? ''));
  return first && first !== 'application/json' ? 'yaml' : 'json';
}

function yamlDocument(document: object): string {
  const header =
    '# presence-bridge status types. Edit, then: curl -X PUT "$PB/v1/status-types?dryRun=true" ' +
    '-H "Content-Type: application/yaml" --data-binary @file\n';
  return header + stringifyYaml(document, { lineWidth: 0 });
}

/** YAML bodies for these routes only; a document that does not parse is 400 INVALID_YAML. */
function installYamlParser(app: FastifyInstance): void {
  app.addContentTypeParser(
    YAML_TYPES,
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    (_request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      try {
        // Plain data only: no custom tags; aliases are bounded (the default maxAliasCount) against alias bombs.
        done(null, parseYaml(text, { schema: 'core', uniqueKeys: true }) as unknown);
      } catch (err) {
        const line = (err as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
        const where = line ? ` (line ${line})` : '';
        done(
          new ApiError('INVALID_YAML', `the body is not valid YAML${where}`, line ? { line } : {}),
          undefined,
        );
      }
    },
  );
}
