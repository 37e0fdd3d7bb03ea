# syntax=docker/dockerfile:1
# PgBouncer for the cluster overlay (deploy/k8s/overlays/cluster/pgbouncer.yaml): Debian
# bookworm's package, the same PgBouncer 1.18 build tests/e2e/test_pgbouncer.py runs Etapa's
# services through. Build:
#   docker build -f deploy/pgbouncer.Dockerfile -t REGISTRY/etapa-pgbouncer:1.18 deploy
# The configuration is mounted (the ConfigMap etapa-pgbouncer and the Secret etapa-pgbouncer).
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends pgbouncer \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10002 pgbouncer \
    && useradd --system --uid 10002 --gid pgbouncer --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin pgbouncer

# Numeric user, so Kubernetes' runAsNonRoot can check it (PgBouncer refuses to run as root).
USER 10002:10002
EXPOSE 6432
ENTRYPOINT ["/usr/sbin/pgbouncer"]
CMD ["/etc/etapa-pgbouncer/pgbouncer.ini"]
