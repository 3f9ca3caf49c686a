# syntax=docker/dockerfile:1
# sluice: build the TypeScript once, ship production dependencies and the compiled JS only.
#   docker build -t sluice . && docker run --rm sluice validate topologies/page-views.yaml

# Node 22 (LTS): inside package.json's engines range, which also admits 20.19+ (what CI tests on)
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# tsc emits only JS: files read at run time next to the code (Lua scripts, SQL, JSON) are copied over
RUN npx tsc -p tsconfig.json \
 && cd src && find . -type f ! -name '*.ts' -exec cp --parents {} ../dist/ \;

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# tsx stays: it is a runtime dependency because bin/sluice.js falls back to it without dist/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY topologies ./topologies
COPY schemas ./schemas
# the demo topology writes Parquet to /app/data; the image's `node` user (uid 1000) owns it
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/sluice.js"]
CMD ["--help"]
