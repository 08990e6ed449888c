# Build: the Rust toolchain image compiles a release binary.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY migration ./migration
COPY src ./src
COPY benches ./benches
COPY schema.graphql ./
RUN cargo build --release --locked --bin leadscore

# Run: a slim Debian with only the binary, as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --create-home leadscore
COPY --from=build /src/target/release/leadscore /usr/local/bin/leadscore
USER leadscore
WORKDIR /data
# Inside a container the server must listen on every interface. Set
# DATABASE_URL (postgres://...) and SECRET_KEY for production; without them
# it runs on an embedded SQLite file in /data.
ENV LEADSCORE_BIND=0.0.0.0:8000 \
    DATABASE_URL=sqlite:///data/leadscore.db?mode=rwc \
    LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/livez || exit 1
ENTRYPOINT ["leadscore"]
CMD ["serve"]
