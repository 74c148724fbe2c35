# syntax=docker/dockerfile:1
#
# Three images from one build:
#   docker build --target functions    -t durable-event-source-functions .
#   docker build --target embedded     -t durable-event-source-embedded .
#   docker build --target hello-events -t durable-event-source-hello-events .
# (Without --target the last stage, functions, is built.)

# ---- build: compile TypeScript to dist/ -------------------------------------------------------------
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional keeps azure-functions-core-tools (an optionalDependency, a large download) out.
# --ignore-scripts skips the `node` devDependency's installer (it fetches a second Node 22; the base image
# already is Node 22); its dangling .bin/node link is removed so `tsc` runs on the image's own node.
RUN npm ci --omit=optional --ignore-scripts && rm -f node_modules/.bin/node
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# ---- prod-deps: production dependencies only --------------------------------------------------------
# No devDependencies (typescript, azurite, the `node` binary package) and no optional ones
# (azure-functions-core-tools) ever reach an image.
FROM node:22-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts && npm cache clean --force

# ---- hello-deps: only what hello-events imports ---------------------------------------------------------
# hello-events needs pino and the OpenTelemetry packages, not the Functions, Durable and Storage packages. package.json is
# cut down to those dependencies (with their ranges unchanged; a name that is not a dependency fails the
# build) and `npm install` runs against the full lock file: it keeps every version the lock pins, for
# these and for everything below them, and leaves the rest out.
FROM node:22-slim AS hello-deps
ARG HELLO_EVENTS_DEPS="pino @opentelemetry/api @opentelemetry/core @opentelemetry/sdk-trace @opentelemetry/resources @opentelemetry/exporter-trace-otlp-http"
WORKDIR /app
COPY package.json package-lock.json ./
RUN node -e " \
      const fs = require('node:fs'); \
      const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')); \
      const deps = {}; \
      for (const name of process.env.HELLO_EVENTS_DEPS.split(' ').filter(Boolean)) { \
        if (!pkg.dependencies[name]) throw new Error('not a dependency in package.json: ' + name); \
        deps[name] = pkg.dependencies[name]; \
      } \
      pkg.dependencies = deps; \
      delete pkg.devDependencies; \
      delete pkg.optionalDependencies; \
      fs.writeFileSync('package.json', JSON.stringify(pkg, null, 2)); \
    " \
 && npm install --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# ---- hello-events: the receiver service ---------------------------------------------------------------
FROM node:22-slim AS hello-events
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
COPY --from=hello-deps /app/package.json ./
COPY --from=hello-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src/hello-events ./dist/src/hello-events
# Files stay root-owned and read-only to the process; it runs as the image's unprivileged user.
USER node
EXPOSE 8080
CMD ["node", "dist/src/hello-events/main.js"]

# ---- embedded: the event source on the project's embedded host ---------------------------------------
# The same compiled app and production dependencies as the functions image, run by the embedded host
# (src/host/main.js) on a slim Node 22 image: no .NET host, no extension bundle to load. It reads host.json and
# package.json "main" from its app folder (the working directory) like the real host, and its settings from the
# environment: AzureWebJobsStorage (a real Azure Storage connection string, or Azurite's), TaskHubName, PORT, and
# at least one key (FUNCTIONS_HOST_KEY, or FUNCTIONS_SECRETS_DIR), without which it listens on loopback only.
FROM node:22-slim AS embedded
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
COPY host.json package.json ./
COPY bin ./bin
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# Files stay root-owned and read-only to the process; it runs as the image's unprivileged user.
USER node
EXPOSE 8080
CMD ["node", "dist/src/host/main.js"]

# ---- functions: the event source on the Azure Functions host ----------------------------------------
FROM mcr.microsoft.com/azure-functions/node:4-node22 AS functions
# The base image listens on 80 (its own ASPNETCORE_URLS=http://+:80) as root; this one listens on 8080, so it runs
# as an unprivileged user and a pod meets the restricted pod security standard.
ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true \
    FUNCTIONS_WORKER_RUNTIME=node \
    ASPNETCORE_URLS=http://+:8080
WORKDIR /home/site/wwwroot
# The Node v4 programming model finds functions ONLY through package.json's "main"
# ("dist/src/functions/*.js"), resolved relative to this folder. The layout below keeps that glob
# pointing at the compiled functions: a wrong "main" (or dist/ copied to another place) is the known
# cause of "No job functions found" at host start-up.
COPY host.json package.json ./
COPY bin ./bin
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# local.settings.json and .data are never copied (and .dockerignore keeps them out of the context):
# settings come from the environment (Kubernetes Secret / env), state from Azure Storage.
# Off App Service the host writes its logs under /tmp/Functions and a sentinel file into /azure-functions-host/Secrets
# (the secrets folder, even with the keys in blob storage); the latter is root-owned in the base image, so it is
# handed to the runtime user. Kubernetes mounts emptyDir volumes on both (read-only root filesystem).
# A numeric user (the base image has no fixed non-root one), so the kubelet can check runAsNonRoot.
RUN mkdir -p /azure-functions-host/Secrets && chown 10001:10001 /azure-functions-host/Secrets
USER 10001:10001
EXPOSE 8080
