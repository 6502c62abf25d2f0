# syntax=docker/dockerfile:1
# The KiloClaw web app: Next.js standalone server on Node 20, non-root, migrations applied at start
# (dist/app-server.mjs: replicas take turns under the migrations' advisory lock). Built by `fly deploy`
# (fly.toml) or `docker build .`; see README "Deploying". test/deploy/images.test.ts checks every path
# copied here against what `npm run build` produces.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- build: every dependency, then `npm run build` (web app + app-server bundle) -------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# production security headers (HSTS, upgrade-insecure-requests) are written into the web build
RUN APP_ENV=production node scripts/build.mjs

# ---- runtime: the standalone tree (production dependencies only, as traced by Next) ---------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
RUN groupadd --system --gid 10001 kiloclaw \
 && useradd --system --uid 10001 --gid kiloclaw --no-create-home --shell /usr/sbin/nologin kiloclaw
# Code stays root's (read-only to the app); only Next's cache is writable.
COPY --from=build /src/.next/standalone ./
COPY --from=build /src/.next/static ./.next/static
COPY --from=build /src/dist/app-server.mjs ./dist/app-server.mjs
COPY --from=build /src/drizzle ./drizzle
RUN mkdir -p .next/cache && chown kiloclaw:kiloclaw .next/cache
USER kiloclaw
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/app-server.mjs", "serve"]
