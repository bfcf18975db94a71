#!/usr/bin/env bash
# Restore drill: restore a Quartermaster dump into a throwaway database, run sanity queries,
# drop the database. Exit 0 only when the dump restores cleanly, the core tables are present
# and the schema is at the expected Alembic head.
#
#   pg-restore-check.sh [DUMP]
#
# DUMP defaults to the newest <BACKUP_PREFIX>-*.dump in BACKUP_DIR; with RESTORE_FROM_RESTIC=1
# it is the latest snapshot in RESTIC_REPOSITORY instead (fetched with `restic dump`).
#
# Server: the libpq variables PGHOST, PGPORT, PGUSER, PGPASSWORD. Point them at a disposable
# PostgreSQL (docs/deployment.md) or at the production server: the throwaway database has its
# own name and is always dropped, even when a check fails. The role needs CREATEDB.
#
# Settings (environment):
#   BACKUP_DIR, BACKUP_PREFIX   as for pg-backup.sh
#   RESTORE_DB                  name of the throwaway database (default qm_restore_check_<time>_<pid>)
#   MAINTENANCE_DB              database to connect to for CREATE/DROP (default postgres)
#   EXPECTED_ALEMBIC_HEAD       the revision the restored schema must be at; when unset it is
#                               computed from MIGRATIONS_DIR (default: the repository's
#                               models/migrations, found relative to this script)
#   MIN_USERS                   fail when the restored users table has fewer rows (default 0)
#
# Output: human-readable progress on stderr; on success one line on stdout,
#   OK dump=<path> users=<n> organizations=<n> item_stocks=<n> alembic_version=<rev>
set -Eeuo pipefail

BACKUP_DIR=${BACKUP_DIR:-/var/backups/quartermaster}
BACKUP_PREFIX=${BACKUP_PREFIX:-quartermaster}
MAINTENANCE_DB=${MAINTENANCE_DB:-postgres}
RESTORE_DB=${RESTORE_DB:-qm_restore_check_$(date -u +%Y%m%d%H%M%S)_$$}
MIN_USERS=${MIN_USERS:-0}
script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
MIGRATIONS_DIR=${MIGRATIONS_DIR:-$script_dir/../../models/migrations}

log() { printf '%s pg-restore-check: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

created=0
workdir=""
cleanup() {
    local status=$?
    if ((created)); then
        # WITH (FORCE) (PostgreSQL 13+) ends any session still attached to the copy.
        psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --dbname "$MAINTENANCE_DB" \
            -c "DROP DATABASE IF EXISTS \"$RESTORE_DB\" WITH (FORCE)" >/dev/null \
            || log "WARNING: could not drop throwaway database $RESTORE_DB; drop it by hand"
    fi
    [[ -n "$workdir" ]] && rm -rf -- "$workdir"
    exit "$status"
}
trap cleanup EXIT
trap 'log "FAILED (exit $? at line $LINENO); see the messages above"' ERR

[[ "$RESTORE_DB" =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] || fail "RESTORE_DB must be a plain identifier"
for tool in psql pg_restore; do
    command -v "$tool" >/dev/null || fail "$tool not found in PATH"
done

# --- which dump ------------------------------------------------------------------------------
dump=${1:-}
if [[ -z "$dump" && "${RESTORE_FROM_RESTIC:-0}" == "1" ]]; then
    [[ -n "${RESTIC_REPOSITORY:-}" ]] || fail "RESTORE_FROM_RESTIC=1 needs RESTIC_REPOSITORY"
    workdir=$(mktemp -d)
    dump="$workdir/$BACKUP_PREFIX.dump"
    log "fetching the latest snapshot from $RESTIC_REPOSITORY"
    restic dump --tag quartermaster latest "/$BACKUP_PREFIX.dump" >"$dump"
elif [[ -z "$dump" ]]; then
    shopt -s nullglob
    candidates=("$BACKUP_DIR/$BACKUP_PREFIX"-????????T??????Z.dump)
    shopt -u nullglob
    ((${#candidates[@]} > 0)) || fail "no $BACKUP_PREFIX-*.dump in $BACKUP_DIR"
    # Timestamps in the names sort chronologically.
    dump=$(printf '%s\n' "${candidates[@]}" | sort | tail -n 1)
fi
[[ -s "$dump" ]] || fail "dump $dump is missing or empty"

# --- which head ------------------------------------------------------------------------------
expected=${EXPECTED_ALEMBIC_HEAD:-}
if [[ -z "$expected" ]]; then
    versions="$MIGRATIONS_DIR/versions"
    [[ -d "$versions" ]] || fail "set EXPECTED_ALEMBIC_HEAD or MIGRATIONS_DIR (no $versions)"
    # Heads = revisions nobody names as down_revision. Reads the module-level assignments the
    # Alembic template writes (`revision: str = "x"`, `down_revision: ... = "y" | ("a", "b")`).
    revs=$( (grep -hE '^revision(: *[^=]+)? *=' "$versions"/*.py || true) \
        | sed -E 's/^[^=]*=//' | grep -oE "[\"'][^\"']+[\"']" | tr -d "\"'" | sort -u || true)
    downs=$( (grep -hE '^down_revision(: *[^=]+)? *=' "$versions"/*.py || true) \
        | sed -E 's/^[^=]*=//' | grep -oE "[\"'][^\"']+[\"']" | tr -d "\"'" | sort -u || true)
    expected=$(comm -23 <(printf '%s\n' "$revs") <(printf '%s\n' "$downs") | paste -sd, -)
    [[ -n "$expected" ]] || fail "could not work out the Alembic head from $versions"
fi

# --- restore ---------------------------------------------------------------------------------
log "restoring $dump into throwaway database $RESTORE_DB"
psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --dbname "$MAINTENANCE_DB" \
    -c "CREATE DATABASE \"$RESTORE_DB\"" >/dev/null
created=1
pg_restore --exit-on-error --no-owner --no-acl --dbname "$RESTORE_DB" "$dump"

q() { psql --no-psqlrc -v ON_ERROR_STOP=1 -At --dbname "$RESTORE_DB" -c "$1"; }

counts=()
for table in users organizations item_stocks; do
    exists=$(q "SELECT to_regclass('public.$table') IS NOT NULL")
    [[ "$exists" == "t" ]] || fail "table $table is missing from the restored database"
    n=$(q "SELECT count(*) FROM public.$table")
    counts+=("$table=$n")
    log "$table: $n rows"
    if [[ "$table" == users ]] && ((n < MIN_USERS)); then
        fail "users has $n rows, fewer than MIN_USERS=$MIN_USERS"
    fi
done

[[ "$(q "SELECT to_regclass('public.alembic_version') IS NOT NULL")" == "t" ]] \
    || fail "alembic_version is missing: not a Quartermaster schema"
actual=$(q "SELECT version_num FROM alembic_version ORDER BY version_num" | paste -sd, -)
sorted_expected=$(tr ',' '\n' <<<"$expected" | sort | paste -sd, -)
[[ "$actual" == "$sorted_expected" ]] \
    || fail "alembic_version is '$actual', expected head '$sorted_expected'"
log "alembic_version $actual is the head"

log "restore drill passed; dropping $RESTORE_DB"
printf 'OK dump=%s %s alembic_version=%s\n' "$dump" "${counts[*]}" "$actual"
