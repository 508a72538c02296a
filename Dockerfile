# Fiducia OP image. Build: docker build -t fiducia .
# Run:   docker run -v /etc/fiducia:/etc/fiducia -p 8443:8443/tcp -p 8443:8443/udp fiducia
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin fiducia

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/fiducia fiducia
COPY --from=build /src/target/release/fiducia /usr/local/bin/fiducia
USER fiducia
EXPOSE 8443/tcp 8443/udp
ENTRYPOINT ["/usr/local/bin/fiducia"]
CMD ["serve", "--config", "/etc/fiducia/fiducia.toml"]
