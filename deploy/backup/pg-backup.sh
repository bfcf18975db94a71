#!/usr/bin/env bash
# Back up Quartermaster's PostgreSQL database: pg_dump -Fc to a timestamped file, optional
# off-site copy with restic, then retention (7 daily, 4 weekly, 3 monthly).
#
# Connection: the libpq variables PGHOST, PGPORT, PGUSER, PGPASSWORD (or ~/.pgpass) and
# PGDATABASE (default "quartermaster"), or BACKUP_DATABASE_URL (a postgresql:// URL; the
# application's postgresql+psycopg:// spelling is accepted).
#
# Settings (environment):
#   BACKUP_DIR          where dumps go (default /var/backups/quartermaster)
#   BACKUP_PREFIX       file name prefix (default quartermaster) -> <prefix>-YYYYmmddTHHMMSSZ.dump
#   KEEP_DAILY / KEEP_WEEKLY / KEEP_MONTHLY   retention (default 7 / 4 / 3)
#   RESTIC_REPOSITORY   when set (with RESTIC_PASSWORD or RESTIC_PASSWORD_FILE and the
#                       backend's credentials), the dump is uploaded with restic and the
#                       repository pruned with `restic forget --prune` using the same policy
#   RESTIC_INIT=1       create the restic repository when it does not exist yet
#   RESTIC_HOST         restic --host (default: quartermaster)
#
# The same retention policy is applied to the local directory in every case, so the local
# copies never grow without bound. Exit status is non-zero, with a message on stderr, when
# any step fails; a partially written dump is removed.
set -Eeuo pipefail

BACKUP_DIR=${BACKUP_DIR:-/var/backups/quartermaster}
BACKUP_PREFIX=${BACKUP_PREFIX:-quartermaster}
KEEP_DAILY=${KEEP_DAILY:-7}
KEEP_WEEKLY=${KEEP_WEEKLY:-4}
KEEP_MONTHLY=${KEEP_MONTHLY:-3}
RESTIC_HOST=${RESTIC_HOST:-quartermaster}
export PGDATABASE=${PGDATABASE:-quartermaster}

log() { printf '%s pg-backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

partial=""
on_error() {
    local status=$? line=$1
    [[ -n "$partial" && -e "$partial" ]] && rm -f -- "$partial"
    log "FAILED (exit $status at line $line); see the messages above"
    exit "$status"
}
trap 'on_error $LINENO' ERR

for tool in pg_dump pg_restore date; do
    command -v "$tool" >/dev/null || { log "FAILED: $tool not found in PATH"; exit 2; }
done

target=(--dbname "$PGDATABASE")
what="database $PGDATABASE"
if [[ -n "${BACKUP_DATABASE_URL:-}" ]]; then
    url=${BACKUP_DATABASE_URL/#postgresql+psycopg:\/\//postgresql://}
    url=${url/#postgres+psycopg:\/\//postgresql://}
    target=(--dbname "$url")
    what="BACKUP_DATABASE_URL"
fi

mkdir -p -- "$BACKUP_DIR"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$BACKUP_DIR/$BACKUP_PREFIX-$stamp.dump"
partial="$final.partial"

log "dumping $what to $final"
# -Fc: compressed custom format, restorable table by table with pg_restore.
# No owner/ACL statements, so the dump restores into any role (restore drill, new host).
pg_dump --format=custom --compress=6 --no-owner --no-acl "${target[@]}" --file "$partial"
# A dump pg_restore cannot list is not a backup.
pg_restore --list "$partial" >/dev/null
mv -- "$partial" "$final"
partial=""
log "dump ok: $(du -h -- "$final" | cut -f1)"

if [[ -n "${RESTIC_REPOSITORY:-}" ]]; then
    command -v restic >/dev/null || { log "FAILED: RESTIC_REPOSITORY is set but restic is not installed"; exit 2; }
    if ! restic cat config >/dev/null 2>&1; then
        if [[ "${RESTIC_INIT:-0}" == "1" ]]; then
            log "initialising restic repository $RESTIC_REPOSITORY"
            restic init >&2
        else
            log "FAILED: restic repository $RESTIC_REPOSITORY is not reachable or not initialised (set RESTIC_INIT=1 to create it)"
            exit 3
        fi
    fi
    log "uploading to restic repository $RESTIC_REPOSITORY"
    # --stdin-filename keeps one stable path per snapshot so `restic dump latest` finds it.
    restic backup --host "$RESTIC_HOST" --tag quartermaster --tag pg_dump \
        --stdin --stdin-filename "$BACKUP_PREFIX.dump" <"$final" >&2
    restic forget --host "$RESTIC_HOST" --tag quartermaster --group-by host,tags \
        --keep-daily "$KEEP_DAILY" --keep-weekly "$KEEP_WEEKLY" --keep-monthly "$KEEP_MONTHLY" \
        --prune >&2
fi

# Local retention, the same rule as restic's: walking from newest to oldest, keep the newest
# dump of each of the last KEEP_DAILY days that have a dump, of each of the last KEEP_WEEKLY ISO
# weeks and of each of the last KEEP_MONTHLY months. Buckets come from the UTC time in the file
# name, not from mtime, so copied or restored files keep their place.
shopt -s nullglob
files=("$BACKUP_DIR/$BACKUP_PREFIX"-????????T??????Z.dump)
shopt -u nullglob
if ((${#files[@]} > 0)); then
    mapfile -t newest_first < <(printf '%s\n' "${files[@]}" | sort -r)
    last_day="" last_week="" last_month=""
    left_day=$KEEP_DAILY left_week=$KEEP_WEEKLY left_month=$KEEP_MONTHLY
    removed=0
    for f in "${newest_first[@]}"; do
        ts=${f##*-}
        ts=${ts%.dump}
        iso="${ts:0:4}-${ts:4:2}-${ts:6:2} ${ts:9:2}:${ts:11:2}:${ts:13:2}"
        day=${ts:0:8}
        month=${ts:0:6}
        week=$(date -u -d "$iso" +%G-%V)
        keep=0
        if ((left_day > 0)) && [[ "$day" != "$last_day" ]]; then
            keep=1; last_day=$day; left_day=$((left_day - 1))
        fi
        if ((left_week > 0)) && [[ "$week" != "$last_week" ]]; then
            keep=1; last_week=$week; left_week=$((left_week - 1))
        fi
        if ((left_month > 0)) && [[ "$month" != "$last_month" ]]; then
            keep=1; last_month=$month; left_month=$((left_month - 1))
        fi
        if ((keep == 0)); then
            rm -f -- "$f"
            removed=$((removed + 1))
        fi
    done
    log "local retention: kept $((${#files[@]} - removed)), removed $removed"
fi

log "OK $final"
printf '%s\n' "$final"
