import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { route, type Deps } from '../http.js';
import { SESSION_COOKIE } from '../server.js';
import { changePassword, createApiToken, listApiTokens, login, logout, publicUser, revokeApiToken } from '../../app/security/auth.js';

export default async function authRoutes(app: FastifyInstance, { db, env }: Deps) {
  const policy = { sessionTtlMinutes: env.sessionTtlMinutes, loginMaxFailures: env.loginMaxFailures, loginLockMinutes: env.loginLockMinutes };

  route(app, {
    method: 'POST', url: '/auth/login', summary: 'Log in (sets the session cookie)', tags: ['auth'], auth: false,
    body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }),
  }, async ({ body, req, reply }) => {
    const r = await login(db, policy, { ...body, ip: req.ip, userAgent: req.headers['user-agent'], requestId: req.id });
    reply.setCookie(SESSION_COOKIE, r.token, { httpOnly: true, sameSite: 'lax', path: '/', secure: env.secureCookies, expires: r.expiresAt });
    return { user: await publicUser(db, r.actor) };
  });

  route(app, { method: 'POST', url: '/auth/logout', summary: 'Log out', tags: ['auth'] }, async ({ actor, req, reply }) => {
    if (req.sessionToken) await logout(db, actor, req.sessionToken);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  route(app, { method: 'GET', url: '/auth/me', summary: 'The logged-in user', tags: ['auth'] }, async ({ actor }) => ({ user: await publicUser(db, actor) }));

  route(app, {
    method: 'POST', url: '/auth/password', summary: 'Change my password', tags: ['auth'],
    body: z.object({ currentPassword: z.string(), newPassword: z.string() }),
  }, async ({ actor, body }) => {
    await changePassword(db, actor, body.currentPassword, body.newPassword);
    return { ok: true };
  });

  route(app, { method: 'GET', url: '/auth/tokens', summary: 'My API tokens', tags: ['auth'] }, async ({ actor }) => ({ items: await listApiTokens(db, actor) }));
  route(app, {
    method: 'POST', url: '/auth/tokens', summary: 'Create an API token (shown once)', tags: ['auth'],
    body: z.object({ name: z.string().min(1).max(100), expiresInDays: z.number().int().min(1).max(3650).optional() }),
  }, async ({ actor, body }) => createApiToken(db, actor, body.name, body.expiresInDays));
  route(app, {
    method: 'DELETE', url: '/auth/tokens/:id', summary: 'Revoke an API token', tags: ['auth'],
    params: z.object({ id: z.coerce.number().int().positive() }),
  }, async ({ actor, params }) => {
    await revokeApiToken(db, actor, params.id);
    return { ok: true };
  });
}
