#!/usr/bin/env bash
# Proves the container image and the Kubernetes manifests (docs/deploy.md), without a Docker
# daemon or a cluster, on Debian 12 as root:
#   1. installs what it needs (podman, runc, debootstrap, catatonit, nats-server, node, kubectl)
#   2. a base image: debootstrap --variant=minbase bookworm from apt's own mirror, imported as
#      docker.io/library/debian:bookworm-slim (the tarball is cached in $CACHE)
#   3. podman build --pull=never: the postern image and the example service's image
#   4. runs the postern image --read-only --cap-drop=ALL beside a nats-server, a dev OIDC issuer
#      and the example responder: /healthz, /readyz, an authenticated GraphQL request, a 401
#   5. renders deploy/k8s with kubectl kustomize and validates every manifest offline
#      (deploy/validate: kubernetes-models + tsc --strict), and proves that misspelled fields and
#      wrong types fail that validation
#   6. podman kube play of the rendered manifests (NATS, then the orders pod with postern as its
#      sidecar): /readyz and an authenticated GraphQL request through the sidecar, a 401 without
#      a token, and a policy change in the ConfigMap volume taking effect without a restart
# Everything listens on 127.0.0.1 (the pods talk over podman's host-local bridge); every
# process, container, pod, volume and secret it starts is removed at exit. Safe to rerun.
# Prints PASS/FAIL per step and "N passed, M failed"; exit status 0 only when all passed.
# Environment: POSTERN_DEPLOY_CACHE (default /var/cache/postern-deploy), KEEP_LOGS=1.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
CACHE="${POSTERN_DEPLOY_CACHE:-/var/cache/postern-deploy}"
IMAGE=localhost/postern:0.1.0
SERVICE_IMAGE=localhost/postern-example-service:0.1.0
NATS_IMAGE=localhost/postern-prove-nats:latest
BASE_IMAGE=docker.io/library/debian:bookworm-slim
T0=$SECONDS

if [ "$(id -u)" -ne 0 ]; then
  echo "prove: run as root (podman builds and kube play need it here)" >&2
  exit 2
fi
mkdir -p "$CACHE"
exec 9>"$CACHE/prove.lock"
if ! flock -w 1800 9; then
  echo "prove: another deploy/prove.sh holds $CACHE/prove.lock" >&2
  exit 2
fi

RUN="$(mktemp -d /tmp/postern-prove.XXXXXX)"
chmod 755 "$RUN"
LOGS="$RUN/logs"
mkdir -p "$LOGS"
export CONTAINERS_CONF="$CACHE/containers.conf"
PIDS=()
CONTAINERS=()
PLAYED=()
RESULTS=()
PASSED=0
FAILED=0
PREFIX="postern-prove-$$"
KUBE_VOLUMES=(postern-config nats-config postern-secrets-files orders-secrets-files)
KUBE_SECRETS=(postern-secrets orders-secrets postern-secrets-files orders-secrets-files)

kube_cleanup() {
  local f x
  for f in "${PLAYED[@]}"; do podman kube down "$f" >/dev/null 2>&1; done
  # leftovers of an interrupted earlier run have the same names; one by one, because podman
  # stops at the first name it does not know
  for x in orders-pod-0 nats-pod-0; do
    podman pod exists "$x" && podman pod rm -f -t 2 "$x" >/dev/null 2>&1
  done
  for x in "${KUBE_VOLUMES[@]}"; do podman volume rm -f "$x" >/dev/null 2>&1; done
  for x in "${KUBE_SECRETS[@]}"; do podman secret rm "$x" >/dev/null 2>&1; done
  return 0
}

cleanup() {
  local pid c
  for c in "${CONTAINERS[@]}"; do podman rm -f -t 2 "$c" >/dev/null 2>&1; done
  kube_cleanup
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "${KEEP_LOGS:-0}" = 1 ] || [ "$FAILED" -gt 0 ]; then
    echo "logs kept in $LOGS"
    find "$RUN" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
  else
    rm -rf "$RUN"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# step NAME FUNCTION: runs FUNCTION with its output in $LOGS/NAME.log, records PASS/FAIL.
step() {
  local name="$1" fn="$2" t=$SECONDS rc
  printf '%-58s ' "$name" >&2
  "$fn" >"$LOGS/$name.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    PASSED=$((PASSED + 1))
    RESULTS+=("PASS  $name ($((SECONDS - t))s)")
    echo "PASS ($((SECONDS - t))s)" >&2
  else
    FAILED=$((FAILED + 1))
    RESULTS+=("FAIL  $name ($((SECONDS - t))s)")
    echo "FAIL ($((SECONDS - t))s); last lines of $LOGS/$name.log:" >&2
    tail -n 25 "$LOGS/$name.log" | sed 's/^/    | /' >&2
  fi
  return $rc
}

skip() { # NAME REASON
  FAILED=$((FAILED + 1))
  RESULTS+=("FAIL  $1 (not run: $2)")
  printf '%-58s FAIL (not run: %s)\n' "$1" "$2" >&2
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL CODE SECONDS [curl args...]: polls until URL answers CODE.
wait_http() {
  local url="$1" want="$2" secs="$3" got=""
  shift 3
  for _ in $(seq 1 $((secs * 4))); do
    got="$(curl -s -o /dev/null -w '%{http_code}' -m 2 "$@" "$url" 2>/dev/null)"
    [ "$got" = "$want" ] && return 0
    sleep 0.25
  done
  echo "$url: wanted HTTP $want, last answer ${got:-none}"
  return 1
}

QUERY='{"query":"{ order(id: \"42\") { id status items { sku quantity } } }"}'

# graphql_ok URL TOKEN: the authenticated query must return order 42. A freshly started
# postern may not have the issuer's keys yet, so it is retried for a while.
graphql_ok() {
  local url="$1" token="$2" body=""
  for _ in $(seq 1 40); do
    body="$(curl -s -m 5 "$url" -H 'Content-Type: application/json' \
      -H "Authorization: Bearer $token" -d "$QUERY")"
    if grep -q '"order":{"id":"42"' <<<"$body" && ! grep -q '"errors"' <<<"$body"; then
      echo "authenticated request answered: $body"
      return 0
    fi
    sleep 0.5
  done
  echo "authenticated request: unexpected answer: $body"
  return 1
}

# unauthenticated_refused URL: no token -> 401 with a Bearer challenge.
unauthenticated_refused() {
  local headers
  headers="$(curl -s -m 5 -D - -o "$RUN/noauth.body" "$1" \
    -H 'Content-Type: application/json' -d "$QUERY")"
  echo "$headers"
  cat "$RUN/noauth.body"
  echo
  grep -q '^HTTP/1.1 401' <<<"$headers" && grep -qi '^WWW-Authenticate: Bearer' <<<"$headers"
}

# ---------------------------------------------------------------------------------------------
deps() {
  local pkgs=(podman runc debootstrap catatonit containernetworking-plugins iptables
    nats-server curl openssl ca-certificates python3 util-linux)
  command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)
  local missing=() p
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    apt-get update -qq || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" || return 1
  fi
  if ! kubectl kustomize --help >/dev/null 2>&1; then
    # kubectl from the apt sources these machines carry; Debian's own kubernetes-client else
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubectl ||
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubernetes-client ||
      return 1
  fi
  podman --version && runc --version | head -1 && node --version && kubectl version --client 2>/dev/null | head -2
}

# podman's defaults fail here: its default nofile ulimit is above the hard limit (runc:
# "error setting rlimit type 7: operation not permitted"), systemd is not PID 1 (no systemd
# cgroup manager) and crun is not installed.
containers_conf() {
  cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}} {{.Store.GraphDriverName}}'
}

# The first Debian mirror apt uses (deb822 or one-line sources), and its security archive.
apt_mirror() {
  local m
  m="$(grep -hs -E '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1)"
  [ -n "$m" ] || m="$(grep -hs -E '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
    awk '$3 ~ /^bookworm$/ {print $2}' | head -1)"
  echo "${m:-http://deb.debian.org/debian}"
}
apt_security_mirror() {
  local m
  m="$(grep -hs -E '^URIs:.*security' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | head -1)"
  [ -n "$m" ] || m="$(grep -hs -E '^deb .*security' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
    awk '{print $2}' | head -1)"
  echo "${m:-http://deb.debian.org/debian-security}"
}

base_image() {
  local tar="$CACHE/debian-bookworm-minbase.tar"
  if podman image exists "$BASE_IMAGE"; then
    echo "$BASE_IMAGE present"
    return 0
  fi
  if [ ! -s "$tar" ]; then
    local mirror security root="$CACHE/rootfs.tmp"
    mirror="$(apt_mirror)"
    security="$(apt_security_mirror)"
    echo "debootstrap --variant=minbase bookworm from $mirror"
    rm -rf "$root"
    debootstrap --variant=minbase bookworm "$root" "$mirror" || return 1
    cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
    # what the official slim image leaves out: docs, man pages, locales, apt caches
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
      "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* "$root"/var/log/*.log
    find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
    tar --numeric-owner -C "$root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar" || return 1
    rm -rf "$root"
  fi
  echo "importing $tar"
  podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' "$tar" "$BASE_IMAGE"
}

build_postern() {
  podman image prune -f --filter until=72h >/dev/null 2>&1
  podman build --pull=never --target postern -t "$IMAGE" "$ROOT"
}

build_service() {
  podman build --pull=never --target example-service -t "$SERVICE_IMAGE" "$ROOT"
}

# NATS for the example pod: the manifests name the official image; no registry is reachable
# here, so Debian's nats-server on the same base stands in for it.
build_nats() {
  mkdir -p "$RUN/nats-image"
  cat >"$RUN/nats-image/Containerfile" <<EOF
FROM $BASE_IMAGE
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nats-server \\
 && rm -rf /var/lib/apt/lists/*
USER 65532:65532
ENTRYPOINT ["nats-server"]
EOF
  podman build --pull=never -t "$NATS_IMAGE" "$RUN/nats-image"
}

image_config() {
  local user ep cmd ports size
  user="$(podman image inspect -f '{{.Config.User}}' "$IMAGE")"
  ep="$(podman image inspect -f '{{json .Config.Entrypoint}}' "$IMAGE")"
  cmd="$(podman image inspect -f '{{json .Config.Cmd}}' "$IMAGE")"
  ports="$(podman image inspect -f '{{json .Config.ExposedPorts}}' "$IMAGE")"
  size="$(podman image inspect -f '{{.Size}}' "$IMAGE")"
  echo "user=$user entrypoint=$ep cmd=$cmd ports=$ports size=$size bytes"
  echo "IMAGE_SIZE $((size / 1000000)) MB" >"$RUN/image-size"
  [ "$user" = "65532:65532" ] &&
    [ "$ep" = '["postern"]' ] &&
    [ "$cmd" = '["serve","-c","/etc/postern/postern.yaml"]' ] &&
    grep -q '8080/tcp' <<<"$ports" && grep -q '9090/tcp' <<<"$ports" &&
    podman run --rm --network=none --read-only --cap-drop=ALL "$IMAGE" version
}

# The image as a sidecar next to a host nats-server: read-only root, no capabilities.
# --network=host with everything on 127.0.0.1, the way a pod's containers share localhost.
image_run() {
  local np gp ap ip etc="$RUN/image/etc" sec="$RUN/image/secrets" keys="$RUN/image/keys"
  np="$(free_port)" gp="$(free_port)" ap="$(free_port)" ip="$(free_port)"
  mkdir -p "$etc" "$sec" "$keys"
  cp "$ROOT"/deploy/k8s/config/* "$etc/"
  sed -i -e "s#^listen: .*#listen: 127.0.0.1:$gp#" -e "s#^admin_listen: .*#admin_listen: 127.0.0.1:$ap#" \
    -e "s#nats://nats:4222#nats://127.0.0.1:$np#" \
    -e "s#^\(\s*- issuer:\s*\)\S*#\1http://127.0.0.1:$ip\n      jwks_min_refetch: 1s#" "$etc/postern.yaml"
  grep -q "127.0.0.1:$ip" "$etc/postern.yaml" || { echo "could not point the issuer at the dev issuer"; return 1; }
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$sec/identity.pem" 2>/dev/null
  chmod 644 "$sec/identity.pem"
  chown 65532:65532 "$keys" && chmod 700 "$keys"
  local ppw opw
  ppw="$(openssl rand -hex 16)" opw="$(openssl rand -hex 16)"
  cat >"$RUN/image/nats.conf" <<EOF
listen: 127.0.0.1:$np
authorization { users = [ {user: postern, password: "$ppw"}, {user: orders, password: "$opw"} ] }
EOF
  nats-server -c "$RUN/image/nats.conf" >"$LOGS/image-nats-server.out" 2>&1 &
  PIDS+=($!)
  local c_idp="$PREFIX-dev-idp" c_postern="$PREFIX-postern" c_svc="$PREFIX-service"
  CONTAINERS+=("$c_idp" "$c_postern" "$c_svc")
  podman run -d --name "$c_idp" --read-only --cap-drop=ALL --network=host -v "$keys:/keys" \
    "$IMAGE" dev-idp --listen "127.0.0.1:$ip" --key /keys/key.pem || return 1
  wait_http "http://127.0.0.1:$ip/.well-known/openid-configuration" 200 20 || return 1
  podman run -d --name "$c_postern" --read-only --cap-drop=ALL --network=host \
    -e NATS_PASSWORD="$ppw" -v "$etc:/etc/postern:ro" -v "$sec:/var/run/secrets/postern:ro" \
    "$IMAGE" || return 1
  podman run -d --name "$c_svc" --read-only --cap-drop=ALL --network=host \
    -e NATS_URL="nats://orders:$opw@127.0.0.1:$np" "$SERVICE_IMAGE" || return 1
  local ok=0
  wait_http "http://127.0.0.1:$ap/healthz" 200 20 && wait_http "http://127.0.0.1:$ap/readyz" 200 30 && ok=1
  local token=""
  if [ $ok = 1 ]; then
    token="$(podman run --rm --network=none --read-only --cap-drop=ALL -v "$keys:/keys:ro" "$IMAGE" \
      dev-idp mint --sub alice --claim groups=staff --key /keys/key.pem --issuer "http://127.0.0.1:$ip")"
    [ -n "$token" ] || { echo "dev-idp mint printed no token"; ok=0; }
  fi
  [ $ok = 1 ] && { graphql_ok "http://127.0.0.1:$gp/graphql" "$token" || ok=0; }
  [ $ok = 1 ] && { unauthenticated_refused "http://127.0.0.1:$gp/graphql" || ok=0; }
  [ $ok = 1 ] && {
    local ro caps
    ro="$(podman inspect -f '{{.HostConfig.ReadonlyRootfs}} {{.Config.User}}' "$c_postern")"
    caps="$(podman exec "$c_postern" sh -c 'grep CapEff /proc/1/status')"
    echo "postern container: read-only/user: $ro; $caps"
    [ "$ro" = "true 65532:65532" ] && grep -q '0000000000000000' <<<"$caps" || ok=0
  }
  for c in "$c_idp" "$c_postern" "$c_svc"; do
    echo "--- logs $c"
    podman logs "$c" 2>&1 | tail -n 8
  done
  [ $ok = 1 ]
}

# The ConfigMap's schema and policy are copies of the canonical files.
config_in_sync() {
  local ok=0
  cmp "$ROOT/config/schema.graphql" "$ROOT/deploy/k8s/config/schema.graphql" || ok=1
  cmp "$ROOT/policy/examples/policy.yaml" "$ROOT/deploy/k8s/config/policy.yaml" || ok=1
  [ $ok = 0 ] || echo "fix: cp config/schema.graphql policy/examples/policy.yaml deploy/k8s/config/ (policy.yaml keeps its name)"
  return $ok
}

# render SRC_DIR OUT: a copy of the kustomization with freshly generated secrets, rendered.
render() {
  local src="$1" out="$2" copy
  copy="$(mktemp -d "$RUN/k8s.XXXXXX")"
  cp -r "$src/." "$copy/"
  find "$copy/secrets" -type f ! -name .gitignore ! -name generate.sh -delete
  "$copy/secrets/generate.sh" >/dev/null || return 1
  kubectl kustomize "$copy" >"$out"
}

render_manifests() {
  render "$ROOT/deploy/k8s" "$RUN/rendered.yaml" && grep -c '^kind:' "$RUN/rendered.yaml"
}

npm_deps() {
  cd "$ROOT/deploy/validate" || return 1
  # npm ci wipes node_modules, so only when the lock file changed since the last install
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund || return 1
  fi
  node_modules/.bin/tsc --version
}

validate_manifests() {
  node "$ROOT/deploy/validate/validate.mjs" "$RUN/rendered.yaml"
}

# negative NAME FILE SED EXPECT: the misspelling SED in FILE must fail validation, naming EXPECT.
negative() {
  local name="$1" file="$2" expr="$3" expect="$4" bad="$RUN/bad-$1"
  rm -rf "$bad" && cp -r "$ROOT/deploy/k8s" "$bad"
  sed -i "$expr" "$bad/$file"
  if cmp -s "$ROOT/deploy/k8s/$file" "$bad/$file"; then
    echo "$name: the sed expression changed nothing in $file"
    return 1
  fi
  render "$bad" "$bad.yaml" || { echo "$name: kustomize refused it before validation (still a failure, but not the one under test)"; return 1; }
  local out rc
  out="$(node "$ROOT/deploy/validate/validate.mjs" "$bad.yaml")"
  rc=$?
  echo "$out"
  if [ $rc -eq 0 ]; then
    echo "$name: validation PASSED a broken manifest"
    return 1
  fi
  grep -q -- "$expect" <<<"$out" || { echo "$name: failure does not mention $expect"; return 1; }
  echo "$name: rejected as expected"
}

# A misspelled key in kustomization.yaml itself: kustomize must refuse to render it.
negative_kustomization() {
  local bad="$RUN/bad-kustomization" out
  rm -rf "$bad" && cp -r "$ROOT/deploy/k8s" "$bad"
  sed -i 's/^configMapGenerator:/configMapGenerater:/' "$bad/kustomization.yaml"
  if out="$(render "$bad" "$bad.yaml" 2>&1)"; then
    echo "kustomization: kustomize rendered a misspelled key"
    return 1
  fi
  echo "$out"
  grep -q 'unknown field.*configMapGenerater' <<<"$out" && echo "kustomization: rejected as expected"
}

negatives() {
  local ok=0
  negative_kustomization || ok=1
  negative misspelled-field orders.yaml 's/readinessProbe:/readinesProbe:/' "'\"readinesProbe\"' does not exist" || ok=1
  negative wrong-type orders.yaml 's/containerPort: 8080/containerPort: "8080"/' "not assignable to type 'number'" || ok=1
  negative misspelled-policy networkpolicy.yaml '0,/policyTypes:/s//policyType:/' "'\"policyType\"' does not exist" || ok=1
  negative misspelled-top-level service.yaml 's/^spec:/sepc:/' "'\"sepc\"' does not exist" || ok=1
  return $ok
}

# The security team's path: a changed policy.yaml in the ConfigMap volume (replaced by rename,
# as the kubelet swaps ConfigMap files) takes effect without a restart. The new policy takes
# Query.order away from the viewer role, so alice's query must now be FORBIDDEN.
policy_reload() { # GRAPHQL_PORT TOKEN CONTAINER STARTED_AT
  local mp body=""
  mp="$(podman volume inspect postern-config -f '{{.Mountpoint}}')" || return 1
  sed 's/allow: \[Query.order, Query.orders/allow: [Query.orders/' "$mp/policy.yaml" >"$mp/.policy.yaml.new"
  if cmp -s "$mp/policy.yaml" "$mp/.policy.yaml.new"; then
    echo "policy reload: the example policy no longer grants viewer Query.order; update prove.sh"
    return 1
  fi
  mv "$mp/.policy.yaml.new" "$mp/policy.yaml"
  for _ in $(seq 1 40); do
    body="$(curl -s -m 5 "http://127.0.0.1:$1/graphql" -H 'Content-Type: application/json' \
      -H "Authorization: Bearer $2" -d "$QUERY")"
    grep -q '"FORBIDDEN"' <<<"$body" && break
    sleep 0.25
  done
  echo "after the policy change: $body"
  grep -q '"FORBIDDEN"' <<<"$body" || return 1
  podman logs "$3" 2>&1 | grep -q 'policy file changed' || { echo "no reload in postern's log"; return 1; }
  [ "$(podman inspect -f '{{.State.StartedAt}}' "$3")" = "$4" ] || { echo "postern restarted"; return 1; }
  echo "policy reloaded without a restart"
}

kube_play() {
  local gp ap out="$RUN/play" f
  gp="$(free_port)" ap="$(free_port)"
  kube_cleanup
  node "$ROOT/deploy/validate/for-podman.mjs" "$RUN/rendered.yaml" "$out" --nats-image "$NATS_IMAGE" || return 1
  for f in "$out"/secret-*.json; do
    f="$(basename "$f" .json)"
    podman secret create "${f#secret-}" "$out/$f.json" >/dev/null || return 1
  done
  PLAYED+=("$out/nats.yaml")
  podman kube play "$out/nats.yaml" || return 1
  local infra nats_ip
  infra="$(podman pod inspect nats-pod-0 -f '{{.InfraContainerID}}')"
  nats_ip="$(podman inspect "$infra" -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}')"
  echo "NATS pod at $nats_ip"
  [ -n "$nats_ip" ] || return 1
  node "$ROOT/deploy/validate/for-podman.mjs" "$RUN/rendered.yaml" "$out" --nats-image "$NATS_IMAGE" \
    --nats-ip "$nats_ip" --graphql-port "$gp" --admin-port "$ap" >/dev/null || return 1
  PLAYED+=("$out/orders.yaml")
  podman kube play "$out/orders.yaml" || return 1
  podman ps -a --filter pod=orders-pod-0 --format '{{.Names}} {{.Status}} {{.Ports}}'
  local ok=0
  wait_http "http://127.0.0.1:$ap/healthz" 200 20 && wait_http "http://127.0.0.1:$ap/readyz" 200 30 && ok=1
  local token=""
  if [ $ok = 1 ]; then
    token="$(podman exec orders-pod-0-dev-idp postern dev-idp mint --sub alice --claim groups=staff \
      --key /tmp/dev-idp/key.pem --issuer http://127.0.0.1:9400)"
    [ -n "$token" ] || { echo "dev-idp mint printed no token"; ok=0; }
  fi
  [ $ok = 1 ] && { graphql_ok "http://127.0.0.1:$gp/graphql" "$token" || ok=0; }
  [ $ok = 1 ] && { unauthenticated_refused "http://127.0.0.1:$gp/graphql" || ok=0; }
  [ $ok = 1 ] && {
    local started
    started="$(podman inspect -f '{{.State.StartedAt}}' orders-pod-0-postern)"
    policy_reload "$gp" "$token" orders-pod-0-postern "$started" || ok=0
  }
  [ $ok = 1 ] && {
    local c sc caps
    for c in orders-pod-0-postern orders-pod-0-orders; do
      sc="$(podman inspect -f '{{.HostConfig.ReadonlyRootfs}} {{.Config.User}} {{.HostConfig.SecurityOpt}}' "$c")"
      caps="$(podman exec "$c" sh -c 'grep CapEff /proc/1/status')"
      echo "$c: read-only/user/options: $sc; $caps"
      grep -q '^true 65532' <<<"$sc" && grep -q 'no-new-privileges' <<<"$sc" &&
        grep -q '0000000000000000' <<<"$caps" || ok=0
    done
    podman exec orders-pod-0-postern sh -c 'test -s /var/run/secrets/postern/identity.pem' ||
      { echo "identity.pem not mounted"; ok=0; }
  }
  for c in nats-pod-0-nats orders-pod-0-postern orders-pod-0-orders orders-pod-0-dev-idp; do
    echo "--- logs $c"
    podman logs "$c" 2>&1 | tail -n 8
  done
  [ $ok = 1 ]
}

# ---------------------------------------------------------------------------------------------
echo "deploy/prove.sh: image and manifests (logs: $LOGS)" >&2
step deps deps || { skip "everything else" "dependencies missing"; exit 1; }
step containers-conf containers_conf
step base-image-debootstrap base_image
built=0
if step image-build-postern build_postern; then built=1; fi
svc=0
[ $built = 1 ] && step image-build-example-service build_service && svc=1
[ $built = 1 ] || skip image-build-example-service "image-build-postern failed"
nats=0
step image-build-nats-for-kube-play build_nats && nats=1
if [ $built = 1 ]; then step image-config image_config; else skip image-config "no image"; fi
if [ $built = 1 ] && [ $svc = 1 ]; then
  step image-run-readonly-readyz-authenticated-graphql image_run
else
  skip image-run-readonly-readyz-authenticated-graphql "no images"
fi
step manifests-config-copies-in-sync config_in_sync
rendered=0
step manifests-render-kustomize render_manifests && rendered=1
npm=0
step validate-npm-ci npm_deps && npm=1
if [ $rendered = 1 ] && [ $npm = 1 ]; then
  step manifests-validate-kubernetes-models-tsc-strict validate_manifests
  step manifests-validate-rejects-misspelled-fields negatives
else
  skip manifests-validate-kubernetes-models-tsc-strict "render or npm failed"
  skip manifests-validate-rejects-misspelled-fields "render or npm failed"
fi
if [ $built = 1 ] && [ $svc = 1 ] && [ $nats = 1 ] && [ $rendered = 1 ] && [ $npm = 1 ]; then
  step kube-play-sidecar-readyz-authenticated-graphql kube_play
else
  skip kube-play-sidecar-readyz-authenticated-graphql "images or rendering failed"
fi

echo
echo "=== deploy/prove.sh summary"
for r in "${RESULTS[@]}"; do echo "  $r"; done
[ -f "$RUN/image-size" ] && echo "  postern image size: $(cut -d' ' -f2- "$RUN/image-size")"
echo "  total time: $((SECONDS - T0))s"
if [ "$FAILED" -eq 0 ]; then echo "RESULT: PASS"; else echo "RESULT: FAIL"; fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
