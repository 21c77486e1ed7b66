-- Meter-reading photos (抄表照片) uploaded by the phone field app before its visits are synced.
-- The client generates the id (UUID) so a re-sent upload is idempotent; a visit refers to it as
-- photo_ref 'photo:<id>'. account_id (when the client knows it) gives the data scope; otherwise
-- the uploader's org unit at upload time does. Bytes live in the row (≤ 5 MiB; the phone
-- downscales to ≤ 1600 px JPEG, ~200-400 KB). PostgreSQL 15 features only. Forward only.
create table reading_photos (
  id uuid primary key,
  account_id bigint references accounts(id),
  org_unit_id bigint references org_units(id),
  content_type text not null check (content_type in ('image/jpeg', 'image/png', 'image/webp')),
  size_bytes int not null check (size_bytes > 0 and size_bytes <= 5242880),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  bytes bytea not null,
  uploaded_by bigint references users(id),
  created_at timestamptz not null default now()
);
create index reading_photos_account_idx on reading_photos (account_id) where account_id is not null;
