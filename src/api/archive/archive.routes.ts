import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, paging, route, type Deps } from '../http.js';
import { createAccount, getAccountView, searchAccounts, updateAccount } from '../../app/archive/accounts.js';
import { createCustomer, getCustomer, listCustomers, updateCustomer } from '../../app/archive/customers.js';
import { createFeeder, createTransformerArea, listFeeders, listReadingRoutes, listTransformerAreas } from '../../app/archive/grid.js';
import { createMeter, createMeteringPoint, exchangeMeter, installMeter, listMeters } from '../../app/archive/meters.js';

const str = (max: number) => z.string().max(max);
const decimalish = z.union([z.string(), z.number()]);
const readings = z.record(z.string(), decimalish);

const versioned = {
  customerClass: z.string().optional(), voltageLevel: z.string().optional(), tariffCode: z.string().nullable().optional(),
  contractCapacityKva: decimalish.optional(), contractDemandKw: decimalish.nullable().optional(), basicChargeMethod: z.string().optional(),
  pfStandard: decimalish.nullable().optional(), householdSize: z.number().int().optional(), sharedMeter: z.boolean().optional(),
  paymentMode: z.string().optional(), readingRouteId: z.number().int().nullable().optional(), transformerAreaId: z.number().int().nullable().optional(),
  orgUnitId: z.number().int().optional(), status: z.string().optional(),
};

export default async function archiveRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, {
    method: 'GET', url: '/accounts', summary: 'Search accounts (户号, name prefix, phone, address, meter asset no)', tags: ['archive'],
    query: z.object({
      q: str(100).optional(), accountNo: z.string().regex(/^\d{1,16}$/, 'must be digits').optional(), name: str(100).optional(), phone: str(20).optional(),
      address: str(100).optional(), meterAssetNo: str(32).optional(), orgUnitId: z.coerce.number().int().positive().optional(),
      customerClass: str(40).optional(), status: z.enum(['active', 'suspended', 'closed']).optional(), ...paging,
    }),
  }, async ({ actor, query }) => searchAccounts(db, actor, query));

  route(app, { method: 'GET', url: '/accounts/:id', summary: 'Account 360° view', tags: ['archive'], params: idParam },
    async ({ actor, params }) => getAccountView(db, actor, params.id));

  route(app, {
    method: 'POST', url: '/accounts', summary: 'Open an account', tags: ['archive'], permission: 'account.write',
    body: z.object({ accountNo: z.string(), customerId: z.number().int().positive(), name: str(200), phone: str(20).nullable().optional(), address: str(300), openedOn: z.string().optional(), ...versioned }),
  }, async ({ actor, body, reply }) => {
    reply.status(201);
    return createAccount(db, actor, body as never);
  });

  route(app, {
    method: 'PATCH', url: '/accounts/:id', summary: 'Edit an account (effective-dated, optimistic lock)', tags: ['archive'], permission: 'account.write', params: idParam,
    body: z.object({ version: z.number().int(), name: z.string().optional(), phone: z.string().nullable().optional(), address: z.string().optional(), effectiveFrom: z.string().optional(), reason: z.string().optional(), ...versioned }),
  }, async ({ actor, params, body }) => updateAccount(db, actor, params.id, body));

  route(app, {
    method: 'GET', url: '/customers', summary: 'Search customers', tags: ['archive'], permission: 'customer.read',
    query: z.object({ q: str(100).optional(), ...paging }),
  }, async ({ actor, query }) => listCustomers(db, actor, query));
  route(app, { method: 'GET', url: '/customers/:id', summary: 'Customer detail', tags: ['archive'], permission: 'customer.read', params: idParam },
    async ({ actor, params }) => getCustomer(db, actor, params.id));
  route(app, {
    method: 'POST', url: '/customers', summary: 'Create a customer', tags: ['archive'], permission: 'customer.write',
    body: z.object({ customerNo: z.string().regex(/^[A-Za-z0-9]{4,20}$/).optional(), kind: z.string(), name: z.string(), idType: z.string(), idNumber: z.string(), phone: z.string().nullable().optional(), address: z.string().max(300).nullable().optional(), orgUnitId: z.number().int().positive().optional() }),
  }, async ({ actor, body, reply }) => {
    reply.status(201);
    return createCustomer(db, actor, body);
  });
  route(app, {
    method: 'PATCH', url: '/customers/:id', summary: 'Edit a customer', tags: ['archive'], permission: 'customer.write', params: idParam,
    body: z.object({ version: z.number().int(), name: z.string().optional(), phone: z.string().nullable().optional(), address: z.string().max(300).nullable().optional() }),
  }, async ({ actor, params, body }) => updateCustomer(db, actor, params.id, body));

  route(app, { method: 'GET', url: '/feeders', summary: 'Feeders (线路)', tags: ['archive'], permission: 'grid.read' }, async ({ actor }) => ({ items: await listFeeders(db, actor) }));
  route(app, {
    method: 'POST', url: '/feeders', summary: 'Create a feeder', tags: ['archive'], permission: 'grid.write',
    body: z.object({ code: z.string(), name: z.string(), voltageLevel: z.string(), orgUnitId: z.number().int().positive() }),
  }, async ({ actor, body, reply }) => {
    reply.status(201);
    return createFeeder(db, actor, body);
  });
  route(app, {
    method: 'GET', url: '/transformer-areas', summary: 'Transformer areas (台区)', tags: ['archive'], permission: 'grid.read',
    query: z.object({ feederId: z.coerce.number().int().positive().optional() }),
  }, async ({ actor, query }) => ({ items: await listTransformerAreas(db, actor, query) }));
  route(app, {
    method: 'POST', url: '/transformer-areas', summary: 'Create a transformer area', tags: ['archive'], permission: 'grid.write',
    body: z.object({ code: z.string(), name: z.string(), feederId: z.number().int().positive(), orgUnitId: z.number().int().positive(), transformerName: z.string(), capacityKva: decimalish.transform(String), ownership: z.string() }),
  }, async ({ actor, body, reply }) => {
    reply.status(201);
    return createTransformerArea(db, actor, body);
  });
  route(app, { method: 'GET', url: '/reading-routes', summary: 'Reading routes (抄表段)', tags: ['archive'], permission: 'account.read' }, async ({ actor }) => ({ items: await listReadingRoutes(db, actor) }));

  route(app, {
    method: 'GET', url: '/meters', summary: 'Meters', tags: ['archive'], permission: 'meter.read',
    query: z.object({ assetNo: str(32).optional(), commAddress: str(12).optional(), status: z.enum(['stock', 'installed', 'removed']).optional(), ...paging }),
  }, async ({ actor, query }) => listMeters(db, actor, query));
  route(app, {
    method: 'POST', url: '/meters', summary: 'Register a meter (stock)', tags: ['archive'], permission: 'meter.write',
    body: z.object({
      assetNo: z.string(), commAddress: z.string(), meterType: z.string(), manufacturer: z.string().max(100).optional(), registers: z.array(z.string()),
      digits: z.number().int().optional(), decimals: z.number().int().optional(),
      ctPrimary: decimalish.transform(String).optional(), ctSecondary: decimalish.transform(String).optional(), ptPrimary: decimalish.transform(String).optional(), ptSecondary: decimalish.transform(String).optional(),
    }),
  }, async ({ actor, body, reply }) => {
    reply.status(201);
    return createMeter(db, actor, body);
  });
  route(app, {
    method: 'POST', url: '/accounts/:id/metering-points', summary: 'Add a metering point', tags: ['archive'], permission: 'meter.write', params: idParam,
    body: z.object({ code: z.string(), name: z.string(), voltageLevel: z.string(), energyScale: z.number().int().optional() }),
  }, async ({ actor, params, body, reply }) => {
    reply.status(201);
    return createMeteringPoint(db, actor, params.id, body);
  });
  route(app, {
    method: 'POST', url: '/metering-points/:id/install', summary: 'Install a meter on a metering point', tags: ['archive'], permission: 'meter.write', params: idParam,
    body: z.object({ meterId: z.number().int().positive(), installedOn: z.string().optional(), readings }),
  }, async ({ actor, params, body, reply }) => {
    reply.status(201);
    return installMeter(db, actor, params.id, body);
  });
  route(app, {
    method: 'POST', url: '/metering-points/:id/meter-exchange', summary: 'Exchange the meter (换表), keeping both readings', tags: ['archive'], permission: 'meter.write', params: idParam,
    body: z.object({ newMeterId: z.number().int().positive(), exchangedOn: z.string(), oldReadings: readings, newReadings: readings, reason: z.string() }),
  }, async ({ actor, params, body }) => exchangeMeter(db, actor, params.id, body));
}
