# tower-sink for deploy/nuc/compose.yaml. Build context: the repository root
# (compose.yaml says so; by hand: docker build -f deploy/nuc/tower-sink.Dockerfile .).
# The root .dockerignore lets only package*.json, tsconfig.json and src/ in.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
# --ignore-scripts: `prepare` would compile before src/ is here, and no
# dependency the sink runs needs an install script.
RUN npm ci --ignore-scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# `tower-sink` on PATH, as npm would link the package's bin.
RUN chmod 755 dist/consumer/main.js && ln -s /app/dist/consumer/main.js /usr/local/bin/tower-sink
# The image's unprivileged user (uid 1000); the sink needs no file of its own.
USER node
ENTRYPOINT ["tower-sink"]
CMD ["run"]
