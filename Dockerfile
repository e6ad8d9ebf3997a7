# One image for both roles: ROLE=api serves HTTP, ROLE=worker runs the queue processors and sweepers.
# Build: docker build -t tracking-service .   (docker compose builds it for the `api` and `worker` services)

# --- build: all dependencies, compile, then drop the dev dependencies -------------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused while only src/ changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx nest build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# --- runtime: compiled code and production dependencies only, run as the unprivileged `node` user ------
FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
EXPOSE 3000
# No service bootstrap here (that is `npm start`, for development): configuration comes from the
# environment, see the README's configuration table. The server creates the database when missing and
# runs pending migrations at start.
CMD ["npm", "run", "start:prod"]
