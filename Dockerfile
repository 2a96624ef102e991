# The `textisur` binary in a slim image. Build: docker build -t textisur .
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p textisur-api --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 textisur \
    && mkdir -p /var/lib/textisur && chown textisur /var/lib/textisur
COPY --from=build /src/target/release/textisur /usr/local/bin/textisur
USER textisur
ENV TEXTISUR_LISTEN=0.0.0.0:8080 TEXTISUR_LOG_FORMAT=json \
    TEXTISUR_INDEX_DIR=/var/lib/textisur/search-index
# The search index: keep it across restarts (it is rebuilt from PostgreSQL when missing).
VOLUME /var/lib/textisur
# 9464: /metrics, once TEXTISUR_METRICS_LISTEN=0.0.0.0:9464 (production's default is loopback).
EXPOSE 8080 9464
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/health/live || exit 1
ENTRYPOINT ["textisur"]
CMD ["serve"]
