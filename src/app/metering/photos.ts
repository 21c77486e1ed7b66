/**
 * Meter-reading photos (抄表照片) from the phone field app. The phone uploads a photo first (its
 * own UUID makes the upload idempotent), then sends the visit with `photoRef: 'photo:<uuid>'`.
 * The bytes must be what the content type says (magic bytes), at most 5 MiB. Data scope: the
 * account's org unit when the photo names an account, otherwise the uploader's org unit.
 * Each new photo writes one audit event (metadata only, never the bytes). docs/metering.md.
 */
import crypto from 'node:crypto';
import '../../db/schema-photos.js';
import type { PhotoContentType } from '../../db/schema-photos.js';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { inScope, inTx, requirePermission, requireScope, type Actor, type Q } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';

export const PHOTO_MAX_BYTES = 5 * 1024 * 1024;
export const PHOTO_CONTENT_TYPES: readonly PhotoContentType[] = ['image/jpeg', 'image/png', 'image/webp'];
export const PHOTO_REF_PREFIX = 'photo:';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** True when the bytes start with the signature of the content type (JPEG FFD8FF, PNG 89 'PNG', WebP 'RIFF'…'WEBP'). */
export function magicMatches(contentType: PhotoContentType, b: Uint8Array): boolean {
  const at = (i: number, bytes: number[]) => bytes.every((x, k) => b[i + k] === x);
  switch (contentType) {
    case 'image/jpeg':
      return b.length >= 3 && at(0, [0xff, 0xd8, 0xff]);
    case 'image/png':
      return b.length >= 8 && at(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    case 'image/webp':
      return b.length >= 12 && at(0, [0x52, 0x49, 0x46, 0x46]) && at(8, [0x57, 0x45, 0x42, 0x50]);
  }
}

/** What the bytes look like, for the error message. */
function sniff(b: Uint8Array): string {
  for (const t of PHOTO_CONTENT_TYPES) if (magicMatches(t, b)) return t;
  return 'unknown data';
}

/** 'photo:<uuid>' or '<uuid>' -> the uuid (lower case); null when not a photo reference. */
export function photoIdOf(ref: string): string | null {
  const id = ref.startsWith(PHOTO_REF_PREFIX) ? ref.slice(PHOTO_REF_PREFIX.length) : ref;
  return UUID.test(id) ? id.toLowerCase() : null;
}

export interface UploadPhotoInput {
  id?: string;
  contentType: string;
  dataBase64: string;
  accountId?: number | null;
}

export interface PhotoRef {
  photoRef: string;
  id: string;
  sizeBytes: number;
  sha256: string;
  contentType: PhotoContentType;
  accountId: number | null;
  /** true when this id was already stored with the same bytes (a re-sent upload) */
  duplicate: boolean;
}

async function orgPathOfUnit(q: Q, orgUnitId: number | null): Promise<string | null> {
  if (orgUnitId === null) return null;
  const o = await q.selectFrom('org_units').select('path').where('id', '=', orgUnitId).executeTakeFirst();
  return o?.path ?? null;
}

/** Decodes and checks the upload without touching the database. */
export function decodePhoto(input: UploadPhotoInput): { contentType: PhotoContentType; bytes: Buffer; sha256: string } {
  if (!PHOTO_CONTENT_TYPES.includes(input.contentType as PhotoContentType)) {
    throw new ValidationError('contentType', `must be one of ${PHOTO_CONTENT_TYPES.join(', ')}`);
  }
  const contentType = input.contentType as PhotoContentType;
  if (typeof input.dataBase64 !== 'string' || !input.dataBase64.length) throw new ValidationError('dataBase64', 'required');
  // tolerate a data URL prefix and line breaks
  const text = input.dataBase64.replace(/^data:[^;,]*;base64,/, '').replace(/\s+/g, '');
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw new ValidationError('dataBase64', 'not valid base64');
  const size = (text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
  if (size > PHOTO_MAX_BYTES) {
    throw new AppError('PAYLOAD_TOO_LARGE', `dataBase64: the photo is ${size} bytes; at most ${PHOTO_MAX_BYTES} bytes (5 MiB) are accepted — downscale it`, { field: 'dataBase64', sizeBytes: size, maxBytes: PHOTO_MAX_BYTES });
  }
  if (size === 0) throw new ValidationError('dataBase64', 'empty photo');
  const bytes = Buffer.from(text, 'base64');
  if (!magicMatches(contentType, bytes)) {
    throw new ValidationError('dataBase64', `the bytes are not a ${contentType} image (they look like ${sniff(bytes)}); contentType must match the data`, { contentType, detected: sniff(bytes) });
  }
  return { contentType, bytes, sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Stores a photo. With a client `id` the call is idempotent: the same id with the same bytes
 * returns the stored photo (`duplicate: true`, nothing written); the same id with other bytes is
 * a 409 conflict.
 */
export async function uploadPhoto(db: Db, actor: Actor, input: UploadPhotoInput): Promise<PhotoRef> {
  requirePermission(actor, 'reading.write');
  let id: string;
  if (input.id !== undefined && input.id !== null) {
    if (typeof input.id !== 'string' || !UUID.test(input.id)) throw new ValidationError('id', 'must be a UUID');
    id = input.id.toLowerCase();
  } else id = crypto.randomUUID();
  const accountId = input.accountId ?? null;
  if (accountId !== null && (!Number.isInteger(accountId) || accountId <= 0)) throw new ValidationError('accountId', 'must be a positive integer');
  const photo = decodePhoto(input);

  return inTx(db, async (trx) => {
    let orgUnitId = actor.orgUnitId;
    if (accountId !== null) {
      const a = await trx.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
        .select(['a.id', 'a.account_no', 'a.org_unit_id', 'o.path']).where('a.id', '=', accountId).executeTakeFirst();
      if (!a) throw new ValidationError('accountId', `no account ${accountId}`);
      requireScope(actor, a.path, `account ${a.account_no}`);
      orgUnitId = a.org_unit_id;
    }
    const out = (duplicate: boolean, p: { content_type: PhotoContentType; size_bytes: number; sha256: string; account_id: number | null }): PhotoRef => ({
      photoRef: PHOTO_REF_PREFIX + id, id, sizeBytes: p.size_bytes, sha256: p.sha256, contentType: p.content_type, accountId: p.account_id, duplicate,
    });
    const existing = await trx.selectFrom('reading_photos').select(['id', 'content_type', 'size_bytes', 'sha256', 'account_id', 'org_unit_id']).where('id', '=', id).executeTakeFirst();
    if (existing) return same(existing);
    const inserted = await trx.insertInto('reading_photos').values({
      id, account_id: accountId, org_unit_id: orgUnitId, content_type: photo.contentType, size_bytes: photo.bytes.length, sha256: photo.sha256,
      bytes: photo.bytes, uploaded_by: actor.userId,
    }).onConflict((oc) => oc.column('id').doNothing()).returning('id').executeTakeFirst();
    if (!inserted) {
      // a concurrent re-send won the insert
      const again = await trx.selectFrom('reading_photos').select(['id', 'content_type', 'size_bytes', 'sha256', 'account_id', 'org_unit_id']).where('id', '=', id).executeTakeFirstOrThrow();
      return same(again);
    }
    await writeAudit(trx, actor, {
      action: 'reading_photo.upload', entityType: 'reading_photo', entityId: id, orgUnitId,
      after: { photoRef: PHOTO_REF_PREFIX + id, contentType: photo.contentType, sizeBytes: photo.bytes.length, sha256: photo.sha256, accountId },
    });
    return out(false, { content_type: photo.contentType, size_bytes: photo.bytes.length, sha256: photo.sha256, account_id: accountId });

    async function same(p: { content_type: PhotoContentType; size_bytes: number; sha256: string; account_id: number | null; org_unit_id: number | null }) {
      const path = p.account_id !== null
        ? (await trx.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').select('o.path').where('a.id', '=', p.account_id).executeTakeFirst())?.path ?? null
        : await orgPathOfUnit(trx, p.org_unit_id);
      if (path === null ? actor.orgPath !== '' : !inScope(actor, path)) throw new AppError('CONFLICT', `id: photo ${id} already exists`, { field: 'id' });
      if (p.sha256 !== photo.sha256) throw new AppError('CONFLICT', `id: photo ${id} is already stored with other content; use a new id`, { field: 'id' });
      return out(true, p);
    }
  });
}

/** A photo's bytes and content type; scope as described above. */
export async function getPhoto(db: Db, actor: Actor, ref: string): Promise<{ id: string; contentType: PhotoContentType; sha256: string; sizeBytes: number; bytes: Buffer }> {
  requirePermission(actor, 'reading.read');
  const id = photoIdOf(ref);
  if (!id) throw new ValidationError('id', 'must be a UUID (or photo:<uuid>)');
  const k = db.kysely;
  const p = await k.selectFrom('reading_photos as p')
    .leftJoin('accounts as a', 'a.id', 'p.account_id')
    .leftJoin('org_units as ao', 'ao.id', 'a.org_unit_id')
    .leftJoin('org_units as uo', 'uo.id', 'p.org_unit_id')
    .select(['p.id', 'p.content_type', 'p.size_bytes', 'p.sha256', 'p.bytes', 'p.account_id', 'ao.path as account_path', 'uo.path as unit_path'])
    .where('p.id', '=', id).executeTakeFirst();
  if (!p) throw new AppError('NOT_FOUND', `photo ${id} not found`, { entity: 'reading_photo', id });
  const path = p.account_id !== null ? p.account_path : p.unit_path;
  if (path === null) {
    if (actor.orgPath !== '') throw new AppError('OUT_OF_SCOPE', 'photo is outside your data scope', { scope: actor.orgPath });
  } else requireScope(actor, path, 'photo');
  const raw = p.bytes as Uint8Array;
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return { id: p.id, contentType: p.content_type, sha256: p.sha256, sizeBytes: p.size_bytes, bytes };
}
