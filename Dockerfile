# One image for the three services; docker-compose.yml picks the entry point per service.
# Node 24 LTS, the runtime the project pins (package.json "node" devDependency) and tests on.
FROM node:24.21.0-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY packages/service-kit/package.json packages/service-kit/
COPY packages/contracts/package.json packages/contracts/
COPY packages/register-model/package.json packages/register-model/
COPY services/ingest/package.json services/ingest/
COPY services/pseudonymise/package.json services/pseudonymise/
COPY services/deliver/package.json services/deliver/
RUN npm ci --omit=dev --no-audit --no-fund
COPY schemas schemas
COPY agreements agreements
COPY packages packages
COPY services services
USER node
CMD ["node", "services/ingest/src/main.ts"]
