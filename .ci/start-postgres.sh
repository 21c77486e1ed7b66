#!/usr/bin/env bash
# Start a throwaway PostgreSQL on loopback (CI and local benchmarks). Prints the DATABASE_URL.
# Usage: [DURABLE=1] .ci/start-postgres.sh [port] [datadir]
set -euo pipefail
PORT="${1:-5433}"
DIR="${2:-/tmp/voltline-pg-$PORT}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$BIN/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
if [ -f "$DIR/postmaster.pid" ]; then run "$BIN/pg_ctl -D $DIR stop -m fast" >/dev/null 2>&1 || true; fi
rm -rf "$DIR"; mkdir -p "$DIR"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
run "$BIN/initdb -D $DIR -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
cat >> "$DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '/tmp'
max_connections = 300
shared_buffers = 1GB
work_mem = 32MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
CONF
# tests trade durability for speed; benchmarks run with DURABLE=1 (fsync on, the defaults)
if [ "${DURABLE:-0}" != 1 ]; then
  printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' >> "$DIR/postgresql.conf"
fi
run "$BIN/pg_ctl -D $DIR -l $DIR/server.log -w start" >/dev/null
echo "postgres://postgres@127.0.0.1:$PORT/postgres"
