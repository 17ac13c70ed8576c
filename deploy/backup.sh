#!/bin/sh
# Backups that restore (docs/RELIABILITY.md): a base backup with
# pg_basebackup plus the WAL that PostgreSQL archives continuously
# (deploy/postgresql-archiving.conf), restored to any point in time.
#
#   deploy/backup.sh base DEST_DIR
#       A base backup of the cluster DATABASE_URL names (or the PG*
#       variables), into DEST_DIR/base-<UTC time>/ (plain format, the WAL
#       it needs included, checksummed manifest); prints that directory.
#   deploy/backup.sh restore BASE_DIR WAL_DIR PGDATA [TARGET_TIME]
#       A data directory at PGDATA (which must not exist) that, when
#       PostgreSQL starts on it, replays the archived WAL from WAL_DIR up
#       to TARGET_TIME (e.g. "2026-11-29 03:30:00+00"; none: all of it),
#       then becomes the primary (and archives its own WAL again, as the
#       backup's settings say, on a new timeline). Verify the base backup
#       first.
#
# A password belongs in ~/.pgpass (or PGPASSFILE), not in DATABASE_URL:
# pg_basebackup's command line is visible to other local users.
#
# Run as the user that owns the cluster's files (as root the restored
# directory is given to the postgres user).
set -eu

die() { printf 'backup: %s\n' "$*" >&2; exit 1; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$PGBIN" ] || die "no PostgreSQL found"

case "${1:-}" in
base)
	dest=${2:?usage: backup.sh base DEST_DIR}
	mkdir -p "$dest"
	dir=$dest/base-$(date -u +%Y%m%dT%H%M%SZ)
	conn=${DATABASE_URL:-}
	# -X stream: the WAL written during the copy comes with it, so the
	# backup is consistent on its own; --checkpoint=fast: start now.
	"$PGBIN/pg_basebackup" ${conn:+-d "$conn"} -D "$dir" -Fp -X stream \
	    --checkpoint=fast --manifest-checksums=SHA256 --label=orgbill ||
		die "pg_basebackup failed"
	"$PGBIN/pg_verifybackup" -q "$dir" || die "the base backup in $dir does not verify"
	echo "$dir"
	;;
restore)
	base=${2:?usage: backup.sh restore BASE_DIR WAL_DIR PGDATA [TARGET_TIME]}
	wal=${3:?usage: backup.sh restore BASE_DIR WAL_DIR PGDATA [TARGET_TIME]}
	pgdata=${4:?usage: backup.sh restore BASE_DIR WAL_DIR PGDATA [TARGET_TIME]}
	target=${5:-}
	[ ! -e "$pgdata" ] || die "$pgdata exists: restore into a new directory"
	# PostgreSQL runs restore_command inside the data directory: the
	# archive's path must be absolute (a relative one finds nothing, and
	# recovery would stop at the base backup without a word).
	[ -d "$wal" ] || die "no WAL archive directory $wal"
	wal=$(cd "$wal" && pwd -P) || die "cannot resolve $wal"
	case "$wal" in *\'*) die "the archive's path must not contain a quote" ;; esac
	case "$target" in
	"" | [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]\ [0-9][0-9]:[0-9][0-9]:[0-9][0-9]*) ;;
	*) die "TARGET_TIME must look like 2026-11-29 03:30:00+00" ;;
	esac
	case "$target" in *\'*) die "TARGET_TIME must not contain a quote" ;; esac
	"$PGBIN/pg_verifybackup" -q -n "$base" || die "the base backup in $base does not verify"
	cp -a "$base" "$pgdata"
	rm -f "$pgdata/backup_manifest"
	{
		echo "# deploy/backup.sh restore: point-in-time recovery"
		echo "restore_command = 'cp \"$wal/%f\" \"%p\"'"
		if [ -n "$target" ]; then
			echo "recovery_target_time = '$target'"
			echo "recovery_target_inclusive = true"
		fi
		echo "recovery_target_action = 'promote'"
	} >>"$pgdata/postgresql.auto.conf"
	touch "$pgdata/recovery.signal"
	chmod 700 "$pgdata"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R postgres "$pgdata"
	fi
	echo "$pgdata"
	;;
*)
	die "usage: backup.sh base DEST_DIR | restore BASE_DIR WAL_DIR PGDATA [TARGET_TIME]"
	;;
esac
