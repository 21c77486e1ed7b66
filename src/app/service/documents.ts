/**
 * Request documents (资料/附件): bytes in the database (bytea, JPEG/PNG/WebP/PDF checked by
 * magic bytes, size limit from the SLA profile rules, default 5 MiB) or a reference to a stored
 * object (e.g. a field-app photo 'photo:<uuid>' from POST /reading-photos, or a document-store
 * key). Staff in scope or the customer who owns the request may upload while it is open.
 */
import crypto from 'node:crypto';
import '../../db/schema-service.js';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { DOCUMENT_KINDS } from '../../domain/workflow/service-requests.js';
import { can, inTx, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { magicMatches } from '../metering/photos.js';
import { activeProfile } from './support.js';
import { assertCanRead, isCustomer, loadRequestRow } from './requests.js';

export const DOCUMENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'] as const;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function matches(type: string, b: Uint8Array): boolean {
  if (type === 'application/pdf') return b.length >= 5 && b[0] === 0x25 && b[1] === 0x50 && b[2] === 0x44 && b[3] === 0x46 && b[4] === 0x2d; // %PDF-
  return magicMatches(type as 'image/jpeg', b);
}

export interface UploadDocumentInput {
  kind: string;
  fileName: string;
  contentType?: string;
  dataBase64?: string;
  reference?: string;
}

export async function uploadDocument(db: Db, actor: Actor, requestId: number, input: UploadDocumentInput, now = new Date()) {
  if (!DOCUMENT_KINDS[input.kind]) throw new ValidationError('kind', `must be one of ${Object.keys(DOCUMENT_KINDS).join(', ')}`);
  if (typeof input.fileName !== 'string' || !input.fileName.trim() || input.fileName.length > 200) throw new ValidationError('fileName', 'must be 1-200 characters');
  const hasData = typeof input.dataBase64 === 'string' && input.dataBase64.length > 0;
  const hasRef = typeof input.reference === 'string' && input.reference.length > 0;
  if (hasData === hasRef) throw new ValidationError('dataBase64', 'give either dataBase64 (the file) or reference (a stored object), not both');
  return inTx(db, async (trx) => {
    const r = await loadRequestRow(trx, requestId);
    assertCanRead(actor, r);
    if (!isCustomer(actor) && !can(actor, 'request.handle')) throw new AppError('FORBIDDEN', 'permission request.handle required', { permission: 'request.handle' });
    if (r.status !== 'open') throw new AppError('CONFLICT', `the request is ${r.status}; documents can no longer be added`, { field: 'kind' });
    const profile = await activeProfile(trx);
    let content: Buffer | null = null;
    let size = 0;
    let sha: string | null = null;
    let contentType = input.contentType ?? 'application/octet-stream';
    if (hasData) {
      if (!(DOCUMENT_TYPES as readonly string[]).includes(contentType)) throw new ValidationError('contentType', `must be one of ${DOCUMENT_TYPES.join(', ')}`);
      const text = input.dataBase64!.replace(/^data:[^;,]*;base64,/, '').replace(/\s+/g, '');
      if (text.length % 4 !== 0 || !BASE64.test(text)) throw new ValidationError('dataBase64', 'not valid base64');
      size = (text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
      if (size === 0) throw new ValidationError('dataBase64', 'empty file');
      if (size > profile.rules.maxDocumentBytes) {
        throw new AppError('PAYLOAD_TOO_LARGE', `dataBase64: the file is ${size} bytes; at most ${profile.rules.maxDocumentBytes} bytes are accepted`, { field: 'dataBase64', sizeBytes: size, maxBytes: profile.rules.maxDocumentBytes });
      }
      content = Buffer.from(text, 'base64');
      if (!matches(contentType, content)) throw new ValidationError('dataBase64', `the bytes are not a ${contentType} file; contentType must match the data`);
      sha = crypto.createHash('sha256').update(content).digest('hex');
    } else {
      if (!/^[A-Za-z0-9._:/-]{3,300}$/.test(input.reference!)) throw new ValidationError('reference', 'must be 3-300 letters, digits or . _ : / -');
      contentType = input.contentType ?? 'application/octet-stream';
      if (contentType.length > 100) throw new ValidationError('contentType', 'too long');
    }
    const row = await trx.insertInto('request_documents').values({
      request_id: requestId, stage: r.stage, kind: input.kind, file_name: input.fileName.trim(), content_type: contentType, size_bytes: size,
      sha256: sha, content, reference: hasRef ? input.reference! : null, uploaded_by: actor.userId,
    }).returning('id').executeTakeFirstOrThrow();
    await writeAudit(trx, actor, { action: 'service_request.document', entityType: 'service_request', entityId: requestId, orgUnitId: r.org_unit_id, after: { documentId: row.id, kind: input.kind, fileName: input.fileName, contentType, sizeBytes: size, sha256: sha, reference: input.reference ?? null } }, now);
    return { id: row.id, kind: input.kind, fileName: input.fileName.trim(), contentType, sizeBytes: size, sha256: sha };
  });
}

export async function getDocument(db: Db, actor: Actor, requestId: number, documentId: number) {
  const r = await loadRequestRow(db.kysely, requestId);
  assertCanRead(actor, r);
  const d = await db.kysely.selectFrom('request_documents').selectAll().where('id', '=', documentId).where('request_id', '=', requestId).executeTakeFirst();
  if (!d) throw new AppError('NOT_FOUND', `document ${documentId} not found`);
  return d;
}
