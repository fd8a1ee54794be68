# Keyward's image: built in one stage, run from a slim one as the unprivileged `node` user.
# `docker build -t keyward .` then see deploy/ (compose, Kubernetes) and docs/operations.md, "Running in production".

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The client package is a workspace: npm ci links it (the server does not use it).
COPY packages/client/package.json ./packages/client/
# Dependencies first (a layer that survives source changes); `prepare` builds once the sources are in.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY gen ./gen
# The MongoDB stand-in (an optional dependency) is for tests only.
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --omit=optional

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    KEYWARD_HTTP_ADDR=0.0.0.0:8080 \
    KEYWARD_GRPC_ADDR=0.0.0.0:9090 \
    KEYWARD_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The data dir holds keyward.db (the embedded store) and the first admin's key file: owner-only.
RUN mkdir -m 0700 /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8080 9090
# Liveness only: /readyz (store reachable, not draining) is for load balancers and Kubernetes readiness.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# npm start's heap flags, without npm in between (so SIGTERM reaches the server directly).
CMD ["node", "--max-old-space-size=96", "--max-semi-space-size=8", "dist/src/cli/main.js", "serve"]
