/**
 * reading_photos (抄表照片), created by 20261128T0015_reading_photos.sql: photos the field app
 * uploads before syncing its visits (visit.photoRef = 'photo:<id>'). docs/metering.md.
 */
import type { ColumnType, Generated } from 'kysely';
import type {} from './schema.js';

export type PhotoContentType = 'image/jpeg' | 'image/png' | 'image/webp';

export interface ReadingPhotosTable {
  /** client-generated UUID (idempotent upload) */
  id: string;
  account_id: number | null;
  /** the uploader's org unit at upload time (data scope when there is no account) */
  org_unit_id: number | null;
  content_type: PhotoContentType;
  size_bytes: number;
  /** hex SHA-256 of the bytes */
  sha256: string;
  /** pg gives a Buffer, PGlite a Uint8Array */
  bytes: ColumnType<Uint8Array, Uint8Array, Uint8Array>;
  uploaded_by: number | null;
  created_at: Generated<Date>;
}

declare module './schema.js' {
  interface DB {
    reading_photos: ReadingPhotosTable;
  }
}
