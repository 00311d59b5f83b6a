# The project image: one image for every role, since its entry point is the chatquake CLI.
#   docker run chatquake server --region eu-west --node n1 --port 8080 --host 0.0.0.0 ...
#   docker run chatquake directory --port 7000 --host 0.0.0.0
#   docker run chatquake proxy --host 0.0.0.0 --port 8474
#   docker run -v "$PWD/results:/results" chatquake run region-outage --out /results/ro
#
# Build args:
#   NODE_IMAGE  the Node base image (default the official Node 20 slim image). Node 20 and 24
#               are the versions CI tests.
#   DEPS        install (default): `npm ci --omit=dev` inside the build;
#               host: copy an already-installed tree from .docker-host/node_modules instead,
#               for machines whose containers cannot reach the npm registry (see
#               scripts/docker-host-image.sh, which prepares it and builds a base image too).
ARG NODE_IMAGE=node:20-slim
FROM ${NODE_IMAGE}
WORKDIR /app
ARG DEPS=install
# The wildcard keeps the build working when .docker-host is absent (the default).
COPY package.json package-lock.json .docker-hos[t] ./
RUN if [ "$DEPS" = install ]; then \
      npm ci --omit=dev --no-audit --no-fund && npm cache clean --force; \
    elif [ "$DEPS" = host ]; then \
      [ -d node_modules ] || { echo "DEPS=host needs .docker-host/node_modules: use scripts/docker-host-image.sh" >&2; exit 1; }; \
    else echo "DEPS must be install or host, not \"$DEPS\"" >&2; exit 1; fi
COPY index.js ./
COPY bin ./bin
COPY contracts ./contracts
COPY lib ./lib
COPY harness ./harness
COPY chaos ./chaos
COPY load ./load
COPY checks ./checks
COPY reports ./reports
COPY proxy ./proxy
COPY im-server ./im-server
COPY client ./client
COPY scenarios ./scenarios
COPY schema ./schema
# The console (`chatquake up`): its page as the checkout built it; `up` says how to build it
# when console/dist is absent (no Vite in the image).
COPY console ./console
# Runs and their results go here; mount it to keep them. /toxiproxy takes Toxiproxy's own
# server flags, so this image stands in for Toxiproxy's where that one is expected:
#   docker run --entrypoint /toxiproxy chatquake -host=0.0.0.0 -config=/config/toxiproxy.json
RUN mkdir -p /results \
 && printf '#!/bin/sh\nexec node /app/bin/toxiproxy.js "$@"\n' >/toxiproxy \
 && chmod +x /toxiproxy
EXPOSE 8474
ENV NODE_ENV=production
LABEL org.opencontainers.image.title="chatquake" \
      org.opencontainers.image.description="Chaos and load testing for multi-cloud instant messaging"
ENTRYPOINT ["node", "/app/bin/chatquake.js"]
CMD ["--help"]
