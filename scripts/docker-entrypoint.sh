#!/bin/sh
# The container's secret: SECRET_KEY from the environment, or one generated on
# first start and kept in the .local volume (shared by the services that mount it).
set -eu
if [ -z "${SECRET_KEY:-}" ]; then
  key_file=/app/.local/secret_key
  if [ ! -s "$key_file" ]; then
    (umask 077 && python -c 'import secrets; print(secrets.token_urlsafe(64))' >"$key_file")
  fi
  SECRET_KEY=$(cat "$key_file")
  export SECRET_KEY
fi
exec "$@"
