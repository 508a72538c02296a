# The Fiducia image a bank runs (deploy/kubernetes/, deploy/README.md).
#   docker build -t fiducia .                          production
#   docker build -t fiducia-dev --build-arg SOFTHSM=1 .  adds SoftHSM (dev)
#
# The PKCS#11 module of the bank's HSM is not in the image: the vendor's
# client library (Luna, nShield, ...) is mounted into the container at run
# time, in Kubernetes from a hostPath or CSI volume at /opt/pkcs11, and named
# by [signing] pkcs11_module. Health is checked by Kubernetes probes on the
# admin listener (/healthz, /readyz), so the image has no HEALTHCHECK.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin fiducia

FROM debian:bookworm-slim
# Set to 1 for a development image with SoftHSM (its module lands at
# /usr/lib/softhsm/libsofthsm2.so).
ARG SOFTHSM=0
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && if [ "$SOFTHSM" = "1" ]; then apt-get install -y --no-install-recommends softhsm2; fi \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 fiducia \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent fiducia
COPY --from=build /src/target/release/fiducia /usr/local/bin/fiducia
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001
# 8443: HTTP/1.1 and HTTP/2 over TLS, HTTP/3 over UDP; 8444: the mTLS alias
# listener; 9090: the admin listener (keep it private).
EXPOSE 8443/tcp 8443/udp 8444/tcp 9090/tcp
ENTRYPOINT ["/usr/local/bin/fiducia"]
CMD ["serve", "--config", "/etc/fiducia/config/fiducia.toml"]
