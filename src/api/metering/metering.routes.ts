import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { route, type Deps } from '../http.js';
import { analyzeFrame, buildReadRequest, bytesToHex, lookupDi } from '../../domain/protocols/dlt645/index.js';
import { ValidationError } from '../../domain/errors.js';

/** DL/T 645-2007 field tools (报文解析): decode a frame, build a read request. */
export default async function meteringRoutes(app: FastifyInstance, _deps: Deps) {
  route(app, {
    method: 'POST', url: '/tools/dlt645/decode', summary: 'Decode a DL/T 645-2007 frame (报文解析)', tags: ['metering'], permission: 'metering.tools',
    body: z.object({ hex: z.string().min(2).max(4000) }),
  }, async ({ body }) => analyzeFrame(body.hex));

  route(app, {
    method: 'POST', url: '/tools/dlt645/read-frame', summary: 'Build a DL/T 645-2007 read request frame', tags: ['metering'], permission: 'metering.tools',
    body: z.object({ address: z.string().regex(/^[0-9Aa]{12}$/, 'must be 12 digits (A for wildcard)'), di: z.string().regex(/^[0-9A-Fa-f]{8}$/, 'must be 8 hex digits, e.g. 00010000') }),
  }, async ({ body }) => {
    const def = lookupDi(body.di.toUpperCase());
    if (!def) throw new ValidationError('di', `unknown data identifier ${body.di}`);
    let frame: Uint8Array;
    try {
      frame = buildReadRequest(body.address.toUpperCase(), body.di.toUpperCase());
    } catch (e) {
      throw new ValidationError('address', (e as Error).message);
    }
    return { hex: bytesToHex(frame), di: body.di.toUpperCase(), name: (def as { name?: string }).name ?? null };
  });
}
