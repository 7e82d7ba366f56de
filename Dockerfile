# syntax=docker/dockerfile:1
# One image for the indexer and the API (see docs/architecture and deploy/):
#   docker run IMAGE                  -> python -m api (on 0.0.0.0:8000)
#   docker run IMAGE indexer run      -> python -m indexer run (metrics on INDEXER_METRICS_PORT)
#   docker run IMAGE indexer migrate  -> the schema migrations, then exit
# BASE_IMAGE is the official python:3.11-slim in CI; where no registry answers, any Debian-based
# image with python3 (3.11) and python3-venv will do (deploy/podman/base-image.sh builds one).
# Where TLS is intercepted, pass the CA bundle as the build secret `ca-bundle`
# (`--secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt`): pip, uv and npm then trust it.
ARG BASE_IMAGE=python:3.11-slim

# -- Python dependencies: the locked main group only (no dev tools) --------------------------------
FROM ${BASE_IMAGE} AS python-deps
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The pin of the Makefile's UV_VERSION.
ARG UV_VERSION=0.13.9
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_NO_CACHE=1
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN --mount=type=secret,id=ca-bundle,target=/run/secrets/ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then \
        export PIP_CERT=/run/secrets/ca-bundle SSL_CERT_FILE=/run/secrets/ca-bundle; \
    fi \
    && python3 -m venv /opt/uv \
    && /opt/uv/bin/pip install --no-cache-dir "uv==${UV_VERSION}" \
    && /opt/uv/bin/uv sync --frozen --no-dev --python "$(command -v python3)"

# -- Contracts: compiled with solc-js, so Node lives in this stage only ----------------------------
FROM python-deps AS contracts
# Debian's nodejs: the same on every Debian-based BASE_IMAGE; it only runs solc-js here.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca-bundle,target=/run/secrets/ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca-bundle; fi \
    && npm ci --no-audit --no-fund --ignore-scripts \
    && rm -rf node_modules/@openzeppelin/*/build
COPY ape-config.yaml ./
COPY tools/ tools/
COPY contracts/ contracts/
# OpenZeppelin's unused build/ folders out of ape's package cache too (see the Makefile).
ENV APE_DATA_FOLDER=/tmp/ape \
    SOLCX_BINARY_PATH=/app/tools/solcjs \
    PATH=/app/node_modules/.bin:/app/.venv/bin:$PATH
RUN ape compile \
    && test -s .build/__local__.json
# GraphiQL and React for /graphql, served from the image (the Makefile's DOCS_VENDOR_FILES).
RUN mkdir -p docs-vendor \
    && cp node_modules/react/umd/react.production.min.js \
        node_modules/react-dom/umd/react-dom.production.min.js \
        node_modules/graphiql/graphiql.min.js node_modules/graphiql/graphiql.min.css docs-vendor/

# -- Runtime: Python, the venv, the ABIs and our code; no Node, no compiler, not root ---------------
FROM ${BASE_IMAGE} AS runtime
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG BUILD_REVISION=""
ARG BUILD_VERSION=""
LABEL org.opencontainers.image.title="energy-coownership" \
      org.opencontainers.image.description="Indexer and API of the energy co-ownership platform" \
      org.opencontainers.image.revision="${BUILD_REVISION}" \
      org.opencontainers.image.version="${BUILD_VERSION}"
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=python-deps /app/.venv /app/.venv
COPY --from=contracts /app/.build/__local__.json /app/.build/__local__.json
COPY pyproject.toml ./
COPY infra/ infra/
COPY indexer/ indexer/
COPY api/ api/
COPY dapp/ dapp/
COPY --from=contracts /app/docs-vendor/ api/static/docs/vendor/
# Byte-code compiled now: the root filesystem is read-only at run time (data dirs go to /tmp).
RUN /app/.venv/bin/python -m compileall -q infra indexer api
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BUILD_REVISION=${BUILD_REVISION} \
    BUILD_VERSION=${BUILD_VERSION} \
    API_DATA_DIR=/tmp/energy \
    INDEXER_DATA_DIR=/tmp/energy \
    API_HOST=0.0.0.0 \
    API_PORT=8000 \
    INDEXER_METRICS_PORT=9101 \
    INDEXER_METRICS_HOST=0.0.0.0
USER 10001:10001
EXPOSE 8000 9101
ENTRYPOINT ["python", "-m"]
CMD ["api"]
