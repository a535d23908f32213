# postern sidecar image. Build:   podman build -t localhost/postern:0.1.0 .
#                                 (or docker build; deploy/prove.sh builds it without a daemon)
# The example service's image:    podman build --target example-service -t localhost/postern-example-service:0.1.0 .
# See docs/deploy.md.

ARG DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim

# ---- build: compilers and -dev packages; only postern and the example responder are built
FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config ca-certificates \
      libevent-dev libnats-dev libjwt-dev libssl-dev libyaml-dev libjansson-dev \
      libcurl4-openssl-dev libcjose-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY proxy proxy
COPY policy policy
COPY deploy/example-service deploy/example-service
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release >/dev/null \
 && cmake --build /build -j"$(nproc)" --target postern example-responder \
 && install -D -s -m 0755 /build/postern /out/usr/local/bin/postern \
 && install -D -s -m 0755 /build/example-responder /out/usr/local/bin/example-responder

# ---- runtime: the shared libraries postern links and nothing else (no shell tools added,
# no compilers, no package lists). A fixed non-root uid so runAsNonRoot can verify it.
FROM ${DEBIAN_IMAGE} AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libevent-2.1-7 libevent-core-2.1-7 libevent-pthreads-2.1-7 libevent-extra-2.1-7 libnats3.4 libjwt0 \
      libssl3 libyaml-0-2 libcurl4 libjansson4 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
 && groupadd --system --gid 65532 postern \
 && useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin postern
# CA bundle for https:// OIDC issuers and tls:// NATS, without the openssl CLI that the
# ca-certificates package would pull in.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/usr/local/bin/postern /usr/local/bin/postern
# Fails the build if a library the binary needs is missing from the list above.
RUN if ldd /usr/local/bin/postern | grep 'not found'; then exit 1; fi
COPY deploy/k8s/config/ /etc/postern/
USER 65532:65532
WORKDIR /

# ---- the example service (deploy/k8s): its NATS responder on the same runtime libraries
FROM runtime AS example-service
USER 0:0
COPY --from=build /out/usr/local/bin/example-responder /usr/local/bin/example-responder
RUN if ldd /usr/local/bin/example-responder | grep 'not found'; then exit 1; fi
USER 65532:65532
ENTRYPOINT ["example-responder"]

# ---- postern (the default target): the image deploy/k8s runs as the sidecar
FROM runtime AS postern
LABEL org.opencontainers.image.title="postern" \
      org.opencontainers.image.description="Identity-aware GraphQL-over-NATS sidecar"
# postern writes nothing to disk; the root filesystem may be read-only.
EXPOSE 8080 9090
ENTRYPOINT ["postern"]
CMD ["serve", "-c", "/etc/postern/postern.yaml"]
