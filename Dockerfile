# syntax=docker/dockerfile:1
# The mcp-registry-export image: `run` (webhook + publisher) by default, any other command
# as the arguments, e.g. `docker run IMAGE webhook --tls-cert ... --tls-key ...`.
#
#   docker build -t mcp-registry-export --build-arg REVISION=$(git rev-parse HEAD) .
#
# What the runtime stage holds (dist/, package.json, the production node_modules) is what
# test/e2e/packed-install.test.ts installs from `npm pack` and runs.

# The Node of the project's devDependency "node"; pin a digest as well where builds must repeat.
ARG NODE_VERSION=24.21.0

# ---- build: compile with every dependency, then install the production ones apart ----
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# A clean directory with nothing but the lockfile's production dependencies (none of them has
# an install script, so none runs).
WORKDIR /prod
RUN cp /src/package.json /src/package-lock.json ./ \
  && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm package-lock.json

# ---- runtime ----
# Distroless Node.js 24, nonroot variant: Debian 12 and glibc like the build stage (no native
# addon among the dependencies, but it keeps that safe), and no shell, package manager or
# other programs, so the image is node, our code and its dependencies, and a scanner has
# little else to report. node:24-slim with USER node would carry npm, a shell and apt.
FROM gcr.io/distroless/nodejs24-debian12:nonroot

ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="mcp-registry-export" \
      org.opencontainers.image.description="Admission webhook and publisher that export the MCP servers of a Kubernetes cluster to an MCP registry" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="gcr.io/distroless/nodejs24-debian12:nonroot"

ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the process: it cannot change its own code.
COPY --from=build /src/dist /app/dist
COPY --from=build /prod/package.json /app/package.json
COPY --from=build /prod/node_modules /app/node_modules

# The nonroot user of distroless, by number, so runAsNonRoot can verify it without /etc/passwd.
USER 65532:65532
# The webhook's HTTPS port (in `run` also the probes and /metrics); `publisher` alone uses 8080.
EXPOSE 8443
# Distroless's own entrypoint is /nodejs/bin/node; it is restated here with the script, so the
# arguments of `docker run` (and a Pod's args) are the command line's and CMD only picks `run`.
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli/main.js"]
CMD ["run"]
