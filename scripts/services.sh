#!/usr/bin/env bash
# Starts and stops the servers service mode needs, on loopback only, for local runs and tests:
# PostgreSQL, RabbitMQ, Redis and an S3-compatible server (moto's, standing in for MinIO).
# Usage: scripts/services.sh start|stop|status|env [service...]   (services: postgres rabbitmq redis s3)
#        scripts/services.sh rabbitmqctl ARGS...                   (rabbitmqctl against this RabbitMQ)
# State lives in $CALLINTEL_SERVICES_DIR (default .services/); `env` prints the CALLINTEL_* settings to use them.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$(realpath -m "${CALLINTEL_SERVICES_DIR:-.services}")
pg_port=${CALLINTEL_PG_PORT:-55432}
amqp_port=${CALLINTEL_AMQP_PORT:-55672}
amqp_dist_port=${CALLINTEL_AMQP_DIST_PORT:-55673}
epmd_port=${CALLINTEL_EPMD_PORT:-54369}
redis_port=${CALLINTEL_REDIS_PORT:-56379}
s3_port=${CALLINTEL_S3_PORT:-59000}
venv_bin=$(realpath -m .venv/bin)

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  local found
  found=$(command -v "$1" 2>/dev/null || ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1)
  [ -n "$found" ] || { echo "PostgreSQL's $1 not found: apt-get install -y postgresql" >&2; exit 1; }
  echo "$found"
}

rabbit_env() {
  export RABBITMQ_NODENAME="callintel@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT=$amqp_port RABBITMQ_DIST_PORT=$amqp_dist_port \
    ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=$epmd_port \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_MNESIA_BASE="$dir/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$dir/rabbitmq/log" \
    RABBITMQ_PID_FILE="$dir/rabbitmq/rabbitmq.pid" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/rabbitmq/enabled_plugins" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq/rabbitmq" HOME="$dir/rabbitmq"
}

start_postgres() {
  local data="$dir/postgres/data" sock="$dir/postgres/sock"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data" "$sock"
    [ "$(id -u)" = 0 ] && chown -R postgres "$dir/postgres"
    as_postgres "$(pg_bin initdb)" -D "$data" -A trust -U postgres >"$dir/postgres/initdb.log"
  fi
  [ "$(id -u)" = 0 ] && chown -R postgres "$dir/postgres"
  as_postgres "$(pg_bin pg_ctl)" -D "$data" status >/dev/null 2>&1 && return 0
  as_postgres "$(pg_bin pg_ctl)" -D "$data" -l "$dir/postgres/server.log" -w \
    -o "-p $pg_port -k $sock -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null
  as_postgres "$(pg_bin psql)" -h 127.0.0.1 -p "$pg_port" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='callintel'" | grep -q 1 ||
    as_postgres "$(pg_bin createdb)" -h 127.0.0.1 -p "$pg_port" -U postgres callintel
}

stop_postgres() {
  [ -f "$dir/postgres/data/PG_VERSION" ] || return 0
  as_postgres "$(pg_bin pg_ctl)" -D "$dir/postgres/data" -m fast stop >/dev/null 2>&1 || true
}

start_rabbitmq() {
  command -v /usr/lib/rabbitmq/bin/rabbitmq-server >/dev/null ||
    { echo "rabbitmq-server not installed: apt-get install -y rabbitmq-server" >&2; exit 1; }
  mkdir -p "$dir/rabbitmq/mnesia" "$dir/rabbitmq/log"
  rabbit_env
  [ -f "$RABBITMQ_ENABLED_PLUGINS_FILE" ] || echo "[]." >"$RABBITMQ_ENABLED_PLUGINS_FILE"
  touch "$RABBITMQ_CONFIG_FILE.conf"
  if /usr/lib/rabbitmq/bin/rabbitmqctl -q status >/dev/null 2>&1; then return 0; fi
  /usr/lib/rabbitmq/bin/rabbitmq-server -detached
  /usr/lib/rabbitmq/bin/rabbitmqctl -q wait --timeout 90 "$RABBITMQ_PID_FILE" >/dev/null
}

stop_rabbitmq() {
  [ -d "$dir/rabbitmq" ] || return 0
  rabbit_env
  # Given a pid file that is not there, `rabbitmqctl stop` waits for it to appear: without one, the node is
  # stopped by name (at once, or an error when it is not running).
  if [ -f "$RABBITMQ_PID_FILE" ]; then
    /usr/lib/rabbitmq/bin/rabbitmqctl -q stop "$RABBITMQ_PID_FILE" >/dev/null 2>&1 || true
  else
    /usr/lib/rabbitmq/bin/rabbitmqctl -q stop >/dev/null 2>&1 || true
  fi
  # epmd outlives the node. It takes its port from ERL_EPMD_PORT, not its command line, so it is asked to stop
  # through that port: only the epmd this script started listens there. It refuses while a node is still
  # registered, which lasts a moment after the node's process has exited, so it is asked again for a few seconds.
  local epmd
  epmd=$(command -v epmd || echo /usr/lib/erlang/bin/epmd)
  for _ in $(seq 50); do
    "$epmd" -port "$epmd_port" -kill 2>/dev/null | grep -q "^Killed" && break
    (exec 3<>"/dev/tcp/127.0.0.1/$epmd_port") 2>/dev/null || break
    sleep 0.2
  done
}

start_redis() {
  command -v redis-server >/dev/null || { echo "redis-server not installed: apt-get install -y redis-server" >&2; exit 1; }
  mkdir -p "$dir/redis"
  if [ -f "$dir/redis/redis.pid" ] && kill -0 "$(cat "$dir/redis/redis.pid")" 2>/dev/null; then return 0; fi
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    --dir "$dir/redis" --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log"
}

stop_redis() {
  [ -f "$dir/redis/redis.pid" ] && kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
  rm -f "$dir/redis/redis.pid"
}

start_s3() {
  mkdir -p "$dir/s3"
  if [ -f "$dir/s3/s3.pid" ] && kill -0 "$(cat "$dir/s3/s3.pid")" 2>/dev/null; then return 0; fi
  nohup "$venv_bin/moto_server" -H 127.0.0.1 -p "$s3_port" >"$dir/s3/s3.log" 2>&1 &
  echo $! >"$dir/s3/s3.pid"
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "S3 server did not start; see $dir/s3/s3.log" >&2
  exit 1
}

stop_s3() {
  [ -f "$dir/s3/s3.pid" ] && kill "$(cat "$dir/s3/s3.pid")" 2>/dev/null || true
  rm -f "$dir/s3/s3.pid"
}

print_env() {
  cat <<EOF
CALLINTEL_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:$pg_port/callintel
CALLINTEL_BROKER_URL=amqp://guest:guest@127.0.0.1:$amqp_port/%2F
CALLINTEL_REDIS_URL=redis://127.0.0.1:$redis_port/0
CALLINTEL_STORAGE=s3
CALLINTEL_S3_ENDPOINT=127.0.0.1:$s3_port
EOF
}

action=${1:-}
shift || true
services=("$@")
[ ${#services[@]} -gt 0 ] || services=(postgres rabbitmq redis s3)
case "$action" in
  start) for s in "${services[@]}"; do "start_$s"; done ;;
  stop) for s in "${services[@]}"; do "stop_$s"; done ;;
  status)
    rabbit_env
    as_postgres "$(pg_bin pg_ctl)" -D "$dir/postgres/data" status >/dev/null 2>&1 && echo "postgres: up" || echo "postgres: down"
    /usr/lib/rabbitmq/bin/rabbitmqctl -q status >/dev/null 2>&1 && echo "rabbitmq: up" || echo "rabbitmq: down"
    [ -f "$dir/redis/redis.pid" ] && kill -0 "$(cat "$dir/redis/redis.pid")" 2>/dev/null && echo "redis: up" || echo "redis: down"
    [ -f "$dir/s3/s3.pid" ] && kill -0 "$(cat "$dir/s3/s3.pid")" 2>/dev/null && echo "s3: up" || echo "s3: down"
    ;;
  env) print_env ;;
  rabbitmqctl) rabbit_env; exec /usr/lib/rabbitmq/bin/rabbitmqctl -q "${services[@]}" ;;
  *) echo "usage: scripts/services.sh start|stop|status|env [postgres rabbitmq redis s3] | rabbitmqctl ARGS" >&2; exit 2 ;;
esac
