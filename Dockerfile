# syntax=docker/dockerfile:1
# Gatehouse image: `docker build -t gatehouse .`
#   gateway:   docker run -p 8080:8080 -v gatehouse-data:/data gatehouse
#   consumer:  docker run gatehouse consume --config /etc/gatehouse/config.json
#   schema:    docker run --rm gatehouse setup cassandra --config /etc/gatehouse/config.json
# Mount your own config over /etc/gatehouse/config.json; pass secrets as environment variables ("${NAME}" in the config).

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: all dependencies, compile src/ to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- deps: production dependencies only (DuckDB's native binary ships inside its npm package) ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app

# A fixed non-root uid/gid, so volumes and Kubernetes securityContexts can name it.
# /data holds the spool and the DuckDB file; /app/data points at it, so the default
# relative paths of config.json ("data/spool", "data/gatehouse.duckdb") land on the volume too.
RUN groupadd --system --gid 10001 gatehouse \
 && useradd --system --uid 10001 --gid gatehouse --home-dir /data --no-create-home --shell /usr/sbin/nologin gatehouse \
 && mkdir -p /data /etc/gatehouse \
 && chown gatehouse:gatehouse /data \
 && ln -s /data /app/data

COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json config.json config.schema.json LICENSE NOTICE ./
COPY www ./www
COPY setup/schema.cql ./setup/schema.cql
COPY config.json /etc/gatehouse/config.json

USER gatehouse
VOLUME ["/data"]
# 8080: HTTP (tracking, static files, proxy, /healthz, /readyz); 8443: HTTPS when TLS is configured.
# The admin listener (9100, /metrics) stays on loopback unless the config moves it and sets a token.
EXPOSE 8080 8443

# The slim image has no curl: ask Node. Override GATEHOUSE_HEALTH_URL when the gateway listens elsewhere;
# containers that run `consume` have no HTTP listener and disable this check (see docker-compose.yml).
ENV GATEHOUSE_HEALTH_URL=http://127.0.0.1:8080/healthz
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.GATEHOUSE_HEALTH_URL,{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# No shell in between: SIGTERM reaches Node, which closes gracefully (run with `--init` / compose `init: true`
# so that a tiny init reaps children and forwards signals).
STOPSIGNAL SIGTERM
# V8 sizes its young generation only at start (src/server/v8-tuning.ts): 16 MB semi-spaces, not Node 24's 64.
ENTRYPOINT ["node", "--max-semi-space-size=16", "dist/cli.js"]
CMD ["serve", "--config", "/etc/gatehouse/config.json"]
