#!/usr/bin/env bash
# The production process layout without containers (`make stack`): moto's S3 server as the
# bucket, gunicorn, a Celery worker on the "default" queue, one on "transcode", and beat,
# against the PostgreSQL and Redis named in the environment. Ctrl-C (or TERM) stops them
# all; if any one of them dies, the others are stopped too and the script fails.
#
# Required: DATABASE_URL (PostgreSQL), REDIS_URL (cache), CELERY_BROKER_URL (Redis).
# Optional: HOST (127.0.0.1), PORT (8000, gunicorn), S3_PORT (9000, moto),
#   AWS_STORAGE_BUCKET_NAME (sinau-media), STACK_DIR (var/stack: media scratch, HR drop,
#   beat schedule), STACK_SEED (1: load the demo Pemda into an empty database),
#   STACK_STATIC (1: collectstatic first).
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=$VENV/bin/python

missing=()
for name in DATABASE_URL REDIS_URL CELERY_BROKER_URL; do
  [ -n "${!name:-}" ] || missing+=("$name")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "make stack needs PostgreSQL and Redis; not set: ${missing[*]}" >&2
  echo "e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/sinau \\" >&2
  echo "     REDIS_URL=redis://127.0.0.1:6379/1 CELERY_BROKER_URL=redis://127.0.0.1:6379/2 make stack" >&2
  exit 2
fi
case "$DATABASE_URL" in
  postgres://* | postgresql://* | pgsql://*) ;;
  *) echo "DATABASE_URL must point at PostgreSQL (got ${DATABASE_URL%%:*}://...)" >&2; exit 2 ;;
esac

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
S3_PORT=${S3_PORT:-9000}
STACK_DIR=${STACK_DIR:-var/stack}
mkdir -p "$STACK_DIR/media" "$STACK_DIR/hr-drop"

# The same variables the containers get (deploy/compose.yaml), with moto as the S3 store.
export AWS_STORAGE_BUCKET_NAME=${AWS_STORAGE_BUCKET_NAME:-sinau-media}
export AWS_S3_ENDPOINT_URL="http://$HOST:$S3_PORT"
export AWS_S3_REGION_NAME=us-east-1
export AWS_S3_ADDRESSING_STYLE=path
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export MEDIA_ROOT="$STACK_DIR/media"
export SINAU_HR_DROP_DIR="$STACK_DIR/hr-drop"
export LOG_FORMAT=${LOG_FORMAT:-text}
export GUNICORN_BIND="$HOST:$PORT"
export PYTHONUNBUFFERED=1  # logs as they happen, not when a pipe's buffer fills

# Each process in a process group of its own: Ctrl-C reaches this script alone, which then
# stops them in order (a terminal's SIGINT would hit gunicorn and Celery mid-start).
set -m

pids=()
stopping=0
stop_all() {
  [ "$stopping" = 1 ] && return
  stopping=1
  trap - INT TERM
  echo "stack: stopping ${#pids[@]} processes" >&2
  # gunicorn and Celery shut down warmly on TERM (a running task may finish); whatever
  # is left of a process group after 30 s, its pool children included, is killed.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 60); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stack: stopped" >&2
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

start() {  # start NAME COMMAND...: in the background, remembered for stop_all
  local name=$1
  shift
  "$@" &
  pids+=("$!")
  echo "stack: $name pid $!" >&2
}

wait_for() {  # wait_for URL SECONDS: until it answers 200
  "$PY" - "$1" "$2" <<'EOF'
import sys, time, urllib.request

url, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        # A cold worker's first request loads every app: give it time, do not pile up.
        with urllib.request.urlopen(url, timeout=30) as response:
            if response.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.5)
sys.exit(f"stack: no answer from {url}")
EOF
}

start s3 "$PY" -m moto.server -H "$HOST" -p "$S3_PORT"
wait_for "$AWS_S3_ENDPOINT_URL/" 30
"$PY" -c "
import boto3, os
s3 = boto3.client('s3', endpoint_url=os.environ['AWS_S3_ENDPOINT_URL'], region_name='us-east-1',
                  aws_access_key_id='test', aws_secret_access_key='test')
s3.create_bucket(Bucket=os.environ['AWS_STORAGE_BUCKET_NAME'])
"

"$PY" manage.py migrate --noinput -v 0
if [ "${STACK_STATIC:-1}" = 1 ]; then
  "$PY" manage.py collectstatic --noinput -v 0
fi
if [ "${STACK_SEED:-1}" = 1 ] && ! "$PY" manage.py shell -c "
import sys
from lms.people.models import Employee
sys.exit(0 if Employee.objects.exists() else 1)
"; then
  "$PY" manage.py seed_demo
fi

# Its own control socket: the default one under ~/.gunicorn is shared by every gunicorn.
start web "$VENV/bin/gunicorn" lms.wsgi -c deploy/gunicorn.conf.py --control-socket "$STACK_DIR/gunicorn.ctl"
start worker "$VENV/bin/celery" -A lms worker -n "default@%h" -Q default --concurrency 2 --loglevel INFO
start transcode "$VENV/bin/celery" -A lms worker -n "transcode@%h" -Q transcode --concurrency 1 --loglevel INFO
start beat "$VENV/bin/celery" -A lms beat --schedule "$STACK_DIR/celerybeat-schedule" --loglevel INFO

wait_for "http://$HOST:$PORT/healthz" 60
cat >&2 <<EOF

stack: ready
  Sinau   http://$HOST:$PORT/   admin: http://$HOST:$PORT/admin/
  health  http://$HOST:$PORT/healthz
  S3      $AWS_S3_ENDPOINT_URL/$AWS_STORAGE_BUCKET_NAME (moto)
  Celery  default@$(hostname) (queue default), transcode@$(hostname) (queue transcode), beat
Ctrl-C stops everything.
EOF

# The first process to exit ends the stack: a layout missing a part is not the layout.
set +e
wait -n "${pids[@]}"
rc=$?
set -e
echo "stack: a process exited ($rc); stopping the rest" >&2
exit 1
