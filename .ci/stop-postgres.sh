#!/usr/bin/env bash
# Stop a PostgreSQL started by start-postgres.sh. Usage: .ci/stop-postgres.sh DATADIR
DIR="${1:?datadir}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$BIN/pg_ctl -D $DIR stop -m fast"; else "$BIN/pg_ctl" -D "$DIR" stop -m fast; fi
