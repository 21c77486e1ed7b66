/**
 * Meter-reading photos (抄表照片) for the phone field app: upload (idempotent by client id) and
 * download. A photo is JSON with base64 data, so this route accepts a larger body than the
 * server default (VOLTLINE_BODY_LIMIT, 1 MiB): max(that, 8 MiB) — a 5 MiB photo is ~6.7 MiB in
 * base64. docs/metering.md "Field app".
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { route, type Deps } from '../http.js';
import { getPhoto, uploadPhoto } from '../../app/metering/photos.js';

export const PHOTO_BODY_LIMIT = 8 * 1024 * 1024;

export default async function readingPhotoRoutes(app: FastifyInstance, { db, env }: Deps) {
  const bodyLimit = Math.max(env.bodyLimit, PHOTO_BODY_LIMIT);

  route(app, {
    method: 'POST', url: '/reading-photos', summary: 'Upload a meter-reading photo (base64; idempotent by client id); returns the photoRef for a visit', tags: ['metering'], permission: 'reading.write', bodyLimit,
    body: z.object({
      id: z.string().uuid('must be a UUID').optional(),
      contentType: z.enum(['image/jpeg', 'image/png', 'image/webp'], 'must be image/jpeg, image/png or image/webp'),
      dataBase64: z.string().min(1, 'required'),
      accountId: z.number().int().positive().nullable().optional(),
    }),
  }, async ({ actor, body, reply }) => {
    const out = await uploadPhoto(db, actor, body);
    reply.status(out.duplicate ? 200 : 201);
    return out;
  });

  route(app, {
    method: 'GET', url: '/reading-photos/:id', summary: "A meter-reading photo's bytes (data scope via its account, else the uploader's org unit)", tags: ['metering'], permission: 'reading.read',
    params: z.object({ id: z.string().max(80) }),
  }, async ({ actor, params, reply }) => {
    const p = await getPhoto(db, actor, params.id);
    reply.header('content-type', p.contentType).header('cache-control', 'private, max-age=86400, immutable').header('etag', `"${p.sha256}"`)
      .header('x-content-type-options', 'nosniff');
    return reply.send(p.bytes);
  });
}
