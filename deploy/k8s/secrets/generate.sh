#!/usr/bin/env bash
# Makes the files deploy/k8s/kustomization.yaml turns into the Secrets "postern-secrets" and
# "orders-secrets": random NATS passwords for postern and the service, the service's NATS URL,
# and postern's identity signing key (ES256, P-256). Existing files are kept, so running it
# again changes nothing. Needs openssl. Usage: deploy/k8s/secrets/generate.sh [DIR]
set -euo pipefail
dir="${1:-$(dirname "$0")}"
umask 077
mkdir -p "$dir"
cd "$dir"
# nats-server parses a $VARIABLE's value as a config value: a password starting with a digit
# may read as a number and fail the config. The letter prefix keeps it a string.
pw() { printf 'pw%s' "$(openssl rand -hex 24)"; }
[ -s postern-nats-password ] || printf '%s' "$(pw)" >postern-nats-password
[ -s orders-nats-password ] || printf '%s' "$(pw)" >orders-nats-password
[ -s orders-nats-url ] || printf 'nats://orders:%s@nats:4222' "$(cat orders-nats-password)" >orders-nats-url
[ -s identity.pem ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out identity.pem 2>/dev/null
echo "secrets in $PWD: postern-nats-password orders-nats-password orders-nats-url identity.pem"
