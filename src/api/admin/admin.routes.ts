import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, paging, route, type Deps } from '../http.js';
import { createOrgUnit, listOrgUnits, updateOrgUnit } from '../../app/security/org-units.js';
import { createRole, createUser, listRoles, listUsers, updateRole, updateUser } from '../../app/security/users.js';
import { PERMISSIONS } from '../../domain/security/permissions.js';
import {
  ACCOUNT_STATUSES, BASIC_CHARGE_METHODS, CUSTOMER_CLASSES, METER_TYPES, ORG_UNIT_KINDS, PAYMENT_MODES, PF_STANDARDS, REGISTERS, VOLTAGE_LEVELS,
} from '../../domain/archive/archive.js';

export default async function adminRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, { method: 'GET', url: '/dict', summary: 'Code tables (zh/en labels)', tags: ['reference'] }, async () => ({
    customerClasses: CUSTOMER_CLASSES, voltageLevels: VOLTAGE_LEVELS, accountStatuses: ACCOUNT_STATUSES, paymentModes: PAYMENT_MODES,
    basicChargeMethods: BASIC_CHARGE_METHODS, pfStandards: PF_STANDARDS, meterTypes: METER_TYPES, registers: REGISTERS, orgUnitKinds: ORG_UNIT_KINDS,
  }));

  route(app, { method: 'GET', url: '/org-units', summary: 'Org units in my scope', tags: ['admin'], permission: 'org.read' },
    async ({ actor }) => ({ items: await listOrgUnits(db, actor) }));
  route(app, {
    method: 'POST', url: '/org-units', summary: 'Create an org unit', tags: ['admin'], permission: 'org.write',
    body: z.object({ parentId: z.number().int().positive(), code: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1-40 letters, digits, _ or -'), name: z.string().trim().min(1).max(100), nameEn: z.string().max(100).optional(), kind: z.string() }),
  }, async ({ actor, body, reply }) => {
    reply.status(201);
    return createOrgUnit(db, actor, body);
  });
  route(app, {
    method: 'PATCH', url: '/org-units/:id', summary: 'Rename an org unit', tags: ['admin'], permission: 'org.write', params: idParam,
    body: z.object({ name: z.string().trim().min(1).max(100).optional(), nameEn: z.string().max(100).nullable().optional() }),
  }, async ({ actor, params, body }) => updateOrgUnit(db, actor, params.id, body));

  route(app, {
    method: 'GET', url: '/users', summary: 'Users in my scope', tags: ['admin'], permission: 'user.read',
    query: z.object({ q: z.string().max(64).optional(), ...paging }),
  }, async ({ actor, query }) => listUsers(db, actor, query));
  route(app, {
    method: 'POST', url: '/users', summary: 'Create a user', tags: ['admin'], permission: 'user.write',
    body: z.object({ username: z.string(), displayName: z.string(), password: z.string(), orgUnitId: z.number().int().positive(), roles: z.array(z.string()).min(1, 'at least one role'), accountIds: z.array(z.number().int().positive()).optional() }),
  }, async ({ actor, body, reply }) => {
    reply.status(201);
    return createUser(db, actor, body);
  });
  route(app, {
    method: 'PATCH', url: '/users/:id', summary: 'Edit a user (roles, org unit, status, password reset, unlock)', tags: ['admin'], permission: 'user.write', params: idParam,
    body: z.object({ displayName: z.string().optional(), orgUnitId: z.number().int().positive().optional(), roles: z.array(z.string()).optional(), status: z.enum(['active', 'disabled']).optional(), password: z.string().optional(), unlock: z.boolean().optional() }),
  }, async ({ actor, params, body }) => updateUser(db, actor, params.id, body));

  route(app, { method: 'GET', url: '/roles', summary: 'Roles', tags: ['admin'], permission: 'user.read' }, async () => ({ items: await listRoles(db) }));
  route(app, {
    method: 'POST', url: '/roles', summary: 'Create a role', tags: ['admin'], permission: 'role.write',
    body: z.object({ code: z.string(), nameZh: z.string(), nameEn: z.string(), permissions: z.array(z.string()) }),
  }, async ({ actor, body, reply }) => {
    reply.status(201);
    return createRole(db, actor, body);
  });
  route(app, {
    method: 'PATCH', url: '/roles/:code', summary: 'Edit a role', tags: ['admin'], permission: 'role.write',
    params: z.object({ code: z.string() }),
    body: z.object({ nameZh: z.string().optional(), nameEn: z.string().optional(), permissions: z.array(z.string()).optional() }),
  }, async ({ actor, params, body }) => updateRole(db, actor, params.code, body));
  route(app, { method: 'GET', url: '/permissions', summary: 'Permission catalogue', tags: ['admin'] }, async () => ({ items: PERMISSIONS }));
}
