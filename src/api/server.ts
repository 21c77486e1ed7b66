/**
 * The HTTP server: Fastify with request ids, structured logs (pino, secrets redacted), one error
 * shape, session/bearer auth, OpenAPI at /api/docs, the SPA from web/dist at /.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { AppError, httpStatusOf } from '../domain/errors.js';
import { actorFromApiToken, actorFromSession } from '../app/security/auth.js';
import type { Deps } from './http.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SESSION_COOKIE = 'vl_session';

/** Replace query-string values with '*' in logged URLs (personal data must not reach the logs). */
export function maskQuery(url: string): string {
  const i = url.indexOf('?');
  if (i < 0) return url;
  return url.slice(0, i + 1) + url.slice(i + 1).split('&').map((kv) => {
    const [k] = kv.split('=');
    return ['page', 'pageSize'].includes(k) ? kv : `${k}=*`;
  }).join('&');
}
export const VERSION = '0.1.0';

export async function buildServer(deps: Deps, opts: { logger?: boolean; webDist?: string } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger === false ? false : {
      level: deps.env.logLevel,
      redact: { paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'], censor: '[redacted]' },
      serializers: {
        // search terms can be phone numbers, ID numbers or names: keep them out of the logs
        req: (req: { method: string; url: string; id: string }) => ({ method: req.method, url: maskQuery(req.url), id: req.id }),
      },
    },
    bodyLimit: deps.env.bodyLimit,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(h) ? h : crypto.randomUUID();
    },
    trustProxy: true,
    ajv: { customOptions: { strict: false } },
  });
  // Validation is done by zod in the route helper; JSON schemas are for OpenAPI only.
  app.setValidatorCompiler(() => () => true);

  app.decorateRequest('actor', null);
  app.decorateRequest('sessionToken', null);

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Voltline API', version: VERSION, description: 'Voltline 电力营销业务系统 HTTP API. Errors: { error: { code, message, details } }.' },
      components: {
        securitySchemes: {
          cookieAuth: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          bearerAuth: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    if (!req.url.startsWith('/api/v1')) return;
    const auth = req.headers.authorization;
    if (auth && auth.startsWith('Bearer ')) {
      const actor = await actorFromApiToken(deps.db, auth.slice(7).trim());
      if (!actor) throw new AppError('UNAUTHENTICATED', 'invalid or expired API token');
      req.actor = actor;
      return;
    }
    const token = req.cookies?.[SESSION_COOKIE];
    if (token) {
      req.sessionToken = token;
      req.actor = await actorFromSession(deps.db, token);
    }
  });

  app.setErrorHandler((err: any, req, reply) => {
    let status = 500;
    let body: { code: string; message: string; details?: unknown };
    if (err instanceof AppError) {
      status = httpStatusOf[err.code];
      body = { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
    } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      status = 413;
      const limit = (req.routeOptions?.config as { bodyLimit?: number } | undefined)?.bodyLimit ?? req.routeOptions?.bodyLimit ?? deps.env.bodyLimit;
      body = { code: 'PAYLOAD_TOO_LARGE', message: `request body is larger than ${limit} bytes`, details: { field: 'body', maxBytes: limit } };
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      status = 415;
      body = { code: 'VALIDATION_FAILED', message: 'unsupported content type; send application/json', details: { field: 'content-type' } };
    } else if (err.statusCode === 400 || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) {
      status = 400;
      body = { code: 'VALIDATION_FAILED', message: `body: ${err.message}`, details: { field: 'body' } };
    } else {
      req.log.error({ err }, 'unhandled error');
      body = { code: 'INTERNAL', message: `internal error (request ${req.id})` };
    }
    if (status >= 500) req.log.error({ err }, 'request failed');
    reply.status(status).send({ error: body });
  });

  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) {
      reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
      return;
    }
    const index = path.join(webDist, 'index.html');
    if (req.method === 'GET' && fs.existsSync(index)) {
      reply.type('text/html').send(fs.readFileSync(index));
      return;
    }
    reply.status(404).type('text/plain').send('web UI not built: run `npm run build:web`');
  });

  app.get('/api/v1/health', { schema: { summary: 'Health check', tags: ['system'] } }, async () => ({ ok: true, engine: deps.db.engine, version: VERSION }));

  // routes: every src/api/<module>/<module>.routes.ts exports default (app, deps)
  const apiDir = here;
  for (const mod of fs.readdirSync(apiDir, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'plugins').map((d) => d.name).sort()) {
    for (const f of fs.readdirSync(path.join(apiDir, mod)).filter((f) => /\.routes\.(ts|js)$/.test(f))) {
      const m = await import(pathToFileURL(path.join(apiDir, mod, f)).href);
      await app.register(async (scoped) => m.default(scoped, deps), { prefix: '/api/v1' });
    }
  }

  const webDist = opts.webDist ?? (process.env.VOLTLINE_WEB_DIST ? path.resolve(process.env.VOLTLINE_WEB_DIST) : path.resolve(here, '..', '..', 'web', 'dist'));
  if (fs.existsSync(webDist)) {
    await app.register(fastifyStatic, { root: webDist, prefix: '/', wildcard: false, index: ['index.html'] });
  }
  return app;
}
