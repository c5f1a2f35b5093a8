#!/usr/bin/env bash
# Contrata's set-up: virtualenv, Debian packages, database servers, migrations.
#   scripts/dev.sh run          set up, provision the demo tenants, serve them with gunicorn
#                               (production settings, DEBUG off) at CONTRATA_ADDR
#   scripts/dev.sh dev          the same with runserver: DEBUG on, autoreload
#   scripts/dev.sh test         set up, run the whole test suite (unit, property, e2e)
#   scripts/dev.sh test-sharded set up, start two MariaDB shards and a Spider head, and run
#                               the suites with the contracts database sharded by tenant
#   scripts/dev.sh setup        set up only
#   scripts/dev.sh manage ARGS  run a management command against the project's servers
#   scripts/dev.sh stop         stop the private database servers
# DATABASE_URL / CONTRACTS_DATABASE_URL point at external servers; without them
# private PostgreSQL and MariaDB instances run under .local/ on CONTRATA_PG_PORT
# and CONTRATA_MYSQL_PORT. Ports and URLs come from site_config/settings.py.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

LOCAL="$ROOT/.local"
VENV="$ROOT/.venv"
# The sharded topology (test-sharded): a Spider head and its shards, all private.
SPIDER_PORT=${CONTRATA_SPIDER_PORT:-33070}
IFS=, read -r -a SHARD_PORTS <<<"${CONTRATA_SHARD_PORTS:-33071,33072}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

find_python() {
  local candidate
  for candidate in python3.13 python3.12 "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

debian_packages() {
  local wanted=(postgresql mariadb-server libmariadb-dev pkg-config gcc)
  [[ ${1:-} == test ]] && wanted+=(chromium redis-server mariadb-plugin-spider)
  local missing=() pkg
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    log "missing Debian packages: ${missing[*]} (install them as root)"; return 0
  fi
  log "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
}

virtualenv() {
  if [[ ! -x $VENV/bin/python ]]; then
    local python; python=$(find_python) || die "Python >= 3.12 not found"
    log "creating .venv with $python"
    "$python" -m venv "$VENV"
  fi
  local stamp="$VENV/.requirements.sha"
  local want; want=$(sha256sum requirements.txt | cut -d' ' -f1)
  if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    log "installing requirements.txt"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r requirements.txt 2>&1 |
      { grep -v 'is ignored: it is neither a file nor a directory' || true; }
    echo "$want" >"$stamp"
  fi
}

reachable() { "$VENV/bin/python" scripts/databases.py reachable "$1"; }

start_private_postgres() {
  local bin; bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n $bin ]] || die "PostgreSQL server binaries not found (apt-get install postgresql)"
  local data="$LOCAL/pg/data" sock="$LOCAL/pg/run"
  mkdir -p "$LOCAL/pg/run" "$LOCAL/logs"
  local as=()
  if [[ $(id -u) -eq 0 ]]; then
    chown -R postgres: "$LOCAL/pg"; chmod 755 "$LOCAL" "$LOCAL/pg"
    touch "$LOCAL/logs/postgres.log"; chown postgres: "$LOCAL/logs/postgres.log"
    as=(runuser -u postgres --)
  fi
  if [[ ! -f $data/PG_VERSION ]]; then
    log "initialising private PostgreSQL in .local/pg"
    "${as[@]}" "$bin/initdb" -D "$data" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  log "starting private PostgreSQL on 127.0.0.1:$PG_PORT"
  "${as[@]}" "$bin/pg_ctl" -D "$data" -w -l "$LOCAL/logs/postgres.log" \
    -o "-p $PG_PORT -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
}

# A private MariaDB under .local/NAME on PORT, with the contrata user; extra
# arguments go to mariadbd.
start_mariadb() {
  local name=$1 port=$2; shift 2
  command -v mariadbd >/dev/null || die "mariadbd not found (apt-get install mariadb-server)"
  local data="$LOCAL/$name/data" run="$LOCAL/$name/run" log="$LOCAL/logs/$name.log"
  mkdir -p "$data" "$run" "$LOCAL/logs"
  local user=()
  if [[ $(id -u) -eq 0 ]]; then
    chown -R mysql: "$LOCAL/$name"; chmod 755 "$LOCAL" "$LOCAL/$name"
    touch "$log"; chown mysql: "$log"
    user=(--user=mysql)
  fi
  if [[ ! -d $data/mysql ]]; then
    log "initialising private MariaDB in .local/$name"
    mariadb-install-db --no-defaults "${user[@]}" --datadir="$data" \
      --auth-root-authentication-method=normal --skip-test-db >/dev/null
  fi
  log "starting private MariaDB ($name) on 127.0.0.1:$port"
  local sql=(mariadb --no-defaults -uroot --socket="$run/mysqld.sock")
  local attempt i pid
  # The port may still be held for a minute by a closing connection that used it
  # as its ephemeral port: try again while the server says it is in use.
  for attempt in $(seq 1 12); do
    nohup mariadbd --no-defaults "${user[@]}" --datadir="$data" --socket="$run/mysqld.sock" \
      --pid-file="$run/mysqld.pid" --port="$port" --bind-address=127.0.0.1 \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
      --innodb-flush-log-at-trx-commit=2 --innodb-buffer-pool-size=1G --local-infile=1 \
      "$@" --log-error="$log" >/dev/null 2>&1 &
    pid=$!
    for i in $(seq 1 60); do
      "${sql[@]}" -e 'select 1' >/dev/null 2>&1 && break 2
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    grep -q 'Address already in use' <(tail -n 5 "$log") || break
    sleep 5
  done
  "${sql[@]}" -e "
    CREATE USER IF NOT EXISTS 'contrata'@'%' IDENTIFIED BY 'contrata';
    CREATE USER IF NOT EXISTS 'contrata'@'localhost' IDENTIFIED BY 'contrata';
    GRANT ALL ON *.* TO 'contrata'@'%' WITH GRANT OPTION;
    GRANT ALL ON *.* TO 'contrata'@'localhost' WITH GRANT OPTION;" ||
    die "private MariaDB ($name) did not start; see .local/logs/$name.log"
}

servers() {
  if ! reachable "$DATABASE_URL"; then
    [[ $DATABASE_URL == "$PG_PRIVATE_URL" ]] || die "PostgreSQL at DATABASE_URL is not reachable"
    start_private_postgres
    reachable "$DATABASE_URL" || die "private PostgreSQL did not come up; see .local/logs/postgres.log"
  fi
  if ! reachable "$CONTRACTS_DATABASE_URL"; then
    [[ $CONTRACTS_DATABASE_URL == "$MY_PRIVATE_URL" ]] || die "MySQL at CONTRACTS_DATABASE_URL is not reachable"
    start_mariadb mysql "$MY_PORT"
    reachable "$CONTRACTS_DATABASE_URL" || die "private MariaDB did not come up; see .local/logs/mysql.log"
  fi
  "$VENV/bin/python" scripts/databases.py create "$DATABASE_URL" "$CONTRACTS_DATABASE_URL"
}

migrate() {
  log "migrating PostgreSQL (public and tenant schemas) and MySQL (contracts)"
  "$VENV/bin/python" manage.py migrate_schemas --noinput -v 0
  "$VENV/bin/python" manage.py migrate --database=mysql --noinput -v 0
  "$VENV/bin/python" manage.py createcachetable
}

# PG_PORT, MY_PORT, DATABASE_URL, CONTRACTS_DATABASE_URL, PG_PRIVATE_URL,
# MY_PRIVATE_URL, ADDR and PORT, as the settings compute them.
config() {
  eval "$("$VENV/bin/python" scripts/databases.py env)"
  export DATABASE_URL CONTRACTS_DATABASE_URL
}

# Two (or more) MariaDB shards and a Spider head, with the same total buffer pool
# as the single server. Test databases get their Spider tables from the backend
# (data_access/sharding/backend).
sharded_servers() {
  local index port
  for index in "${!SHARD_PORTS[@]}"; do
    port=${SHARD_PORTS[$index]}
    reachable "mysql://contrata:contrata@127.0.0.1:$port/" ||
      start_mariadb "shard$((index + 1))" "$port" --innodb-buffer-pool-size=512M
  done
  reachable "mysql://contrata:contrata@127.0.0.1:$SPIDER_PORT/" ||
    start_mariadb spider "$SPIDER_PORT" --plugin-load-add=ha_spider --innodb-buffer-pool-size=128M
  local urls=()
  for port in "${SHARD_PORTS[@]}"; do urls+=("mysql://contrata:contrata@127.0.0.1:$port"); done
  export CONTRACTS_DATABASE_URL="spider://contrata:contrata@127.0.0.1:$SPIDER_PORT/contrata"
  export CONTRACTS_SHARD_URLS; CONTRACTS_SHARD_URLS=$(IFS=,; echo "${urls[*]}")
  # The head's own database, for what connects outside the test databases
  # (manage.py in a subprocess: Django asks the server its version).
  "$VENV/bin/python" scripts/databases.py create "$DATABASE_URL" "$CONTRACTS_DATABASE_URL"
}

setup() {
  debian_packages "${1:-}"
  virtualenv
  config
  servers
  migrate
}

# The production server's secret: generated once, kept under .local/ (git-ignored).
secret_key() {
  local file="$LOCAL/secret_key"
  if [[ ! -s $file ]]; then
    mkdir -p "$LOCAL"
    (umask 077 && "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(64))' >"$file")
  fi
  cat "$file"
}

serving_banner() {
  log "serving on http://acme.localhost:$PORT/ and http://globex.localhost:$PORT/ (public admin: http://localhost:$PORT/admin/)"
}

stop() {
  local bin; bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [[ -f $LOCAL/pg/data/postmaster.pid ]]; then
    log "stopping private PostgreSQL"
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$bin/pg_ctl" -D "$LOCAL/pg/data" -m fast stop >/dev/null
    else "$bin/pg_ctl" -D "$LOCAL/pg/data" -m fast stop >/dev/null; fi
  fi
  local pidfile pid
  for pidfile in "$LOCAL"/*/run/mysqld.pid; do
    [[ -f $pidfile ]] || continue
    log "stopping private MariaDB ($(basename "$(dirname "$(dirname "$pidfile")")"))"
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  done
}

case ${1:-} in
  setup) setup ;;
  run)
    setup
    "$VENV/bin/python" manage.py setup_demo
    # Production settings and server; HTTPS=false because localhost is plain http.
    export DJANGO_SETTINGS_MODULE=site_config.settings_production HTTPS=${HTTPS:-false} CONTRATA_ADDR=$ADDR
    SECRET_KEY=${SECRET_KEY:-$(secret_key)}
    export SECRET_KEY
    log "collecting static files into ${STATIC_ROOT:-staticfiles/}"
    "$VENV/bin/python" manage.py collectstatic --noinput -v 0
    serving_banner
    exec "$VENV/bin/gunicorn" -c site_config/gunicorn.conf.py
    ;;
  dev)
    setup
    "$VENV/bin/python" manage.py setup_demo
    serving_banner
    exec "$VENV/bin/python" manage.py runserver "$ADDR"
    ;;
  manage)
    shift
    virtualenv
    config
    servers
    exec "$VENV/bin/python" manage.py "$@"
    ;;
  test)
    setup test
    shift
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  test-sharded)
    setup test
    sharded_servers
    shift
    log "running the suites with contracts sharded by tenant (Spider head on :$SPIDER_PORT, shards on :${SHARD_PORTS[*]})"
    # Without arguments: every suite that reads or writes contracts (not the browser tests).
    (($#)) || set -- tests
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  stop) stop ;;
  *) die "usage: scripts/dev.sh run|dev|test|test-sharded|setup|manage ARGS|stop" ;;
esac
