/**
 * Route helper: one declaration gives validation (zod, errors name the field), permission
 * check, OpenAPI documentation, and a handler that receives typed input and the actor.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, ValidationError } from '../domain/errors.js';
import type { Actor } from '../app/context.js';
import { requirePermission } from '../app/context.js';
import type { Db } from '../db/database.js';
import type { Env } from '../config/env.js';

export interface Deps {
  db: Db;
  env: Env;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    sessionToken: string | null;
  }
}

export function parseInput<T extends z.ZodType>(schema: T, data: unknown, where: string): z.infer<T> {
  const r = schema.safeParse(data ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.length ? issue.path.join('.') : where;
  throw new ValidationError(field, issue.message);
}

export interface RouteDef<B extends z.ZodType, Qs extends z.ZodType, P extends z.ZodType> {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  summary: string;
  tags: string[];
  /** false: no login needed */
  auth?: boolean;
  permission?: string;
  body?: B;
  query?: Qs;
  params?: P;
  /** larger request body than the server default (uploads), bytes */
  bodyLimit?: number;
}

export interface HandlerInput<B, Qs, P> {
  actor: Actor;
  body: B;
  query: Qs;
  params: P;
  req: FastifyRequest;
  reply: FastifyReply;
}

function jsonSchema(s: z.ZodType | undefined) {
  if (!s) return undefined;
  try {
    const j = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete j.$schema;
    return j;
  } catch {
    return undefined;
  }
}

export function route<B extends z.ZodType = z.ZodAny, Qs extends z.ZodType = z.ZodAny, P extends z.ZodType = z.ZodAny>(
  app: FastifyInstance,
  def: RouteDef<B, Qs, P>,
  handler: (i: HandlerInput<z.infer<B>, z.infer<Qs>, z.infer<P>>) => Promise<unknown>,
) {
  app.route({
    method: def.method,
    url: def.url,
    ...(def.bodyLimit ? { bodyLimit: def.bodyLimit } : {}),
    schema: {
      summary: def.summary,
      tags: def.tags,
      ...(def.body ? { body: jsonSchema(def.body) } : {}),
      ...(def.query ? { querystring: jsonSchema(def.query) } : {}),
      ...(def.params ? { params: jsonSchema(def.params) } : {}),
      ...(def.auth === false ? {} : { security: [{ cookieAuth: [] }, { bearerAuth: [] }] }),
    },
    handler: async (req, reply) => {
      if (def.auth !== false && !req.actor) throw new AppError('UNAUTHENTICATED', 'login required');
      if (def.permission && req.actor) requirePermission(req.actor, def.permission);
      const body = def.body ? parseInput(def.body, req.body, 'body') : req.body;
      const query = def.query ? parseInput(def.query, req.query, 'query') : req.query;
      const params = def.params ? parseInput(def.params, req.params, 'params') : req.params;
      const actor = req.actor ? { ...req.actor, requestId: req.id, ip: req.ip } : (null as unknown as Actor);
      const out = await handler({ actor, body: body as z.infer<B>, query: query as z.infer<Qs>, params: params as z.infer<P>, req, reply });
      if (reply.sent) return reply;
      return out;
    },
  });
}

export const idParam = z.object({ id: z.coerce.number().int().positive() });
export const paging = {
  page: z.coerce.number().int().min(1).max(100000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
};
