# Headcount image: a build stage compiles the server and the client files to dist/ (npm run build,
# with the dev dependencies: esbuild, tsx); the final stage carries dist/ and the production
# dependencies only, and runs `node dist/main.js`: no TypeScript loader, no bundler.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the prepare script would build, which needs the dev dependencies; no production
# dependency has an install script.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json build.ts ./
COPY src ./src
COPY client ./client
RUN npm run build

FROM node:20-bookworm-slim
# MALLOC_MMAP_THRESHOLD_: as npm start runs the server (build.ts RUN_ENV says why).
ENV NODE_ENV=production \
    PORT=8080 \
    DATA_DIR=/data \
    MALLOC_MMAP_THRESHOLD_=65536
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The embedded store (no REDIS_URL) keeps its journal and snapshot here; the image's own user owns it.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# No curl in the slim image: Node's fetch does the probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
