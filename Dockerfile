# Atlas Bot: one image for the ingest job and both chat adapters. CPU-only torch.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ATLAS_DATA_DIR=/data

RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 atlas

WORKDIR /app
# The CPU build of torch first, from PyTorch's CPU index, so nothing pulls the CUDA wheels.
COPY constraints.txt ./
RUN pip install --index-url https://download.pytorch.org/whl/cpu -c constraints.txt torch
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY ingestion ./ingestion
COPY prompts ./prompts
COPY content ./content
RUN pip install -c constraints.txt -e . && mkdir -p /data && chown atlas:atlas /data

USER atlas
VOLUME ["/data"]
ENTRYPOINT ["atlas-bot"]
CMD ["--help"]
