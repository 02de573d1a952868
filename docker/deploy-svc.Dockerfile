# deploy-svc. Build from the repository root: docker build -f docker/deploy-svc.Dockerfile -t hydra/deploy-svc .
FROM node:20-bookworm-slim AS build
RUN npm i -g pnpm@12.21.0
WORKDIR /app
COPY . .
ENV CI=true CHECKPOINT_DISABLE=1
RUN pnpm install --frozen-lockfile && pnpm run typecheck

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production CHECKPOINT_DISABLE=1 DEPLOY_SVC_ADDR=0.0.0.0:7001
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 7001
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:7001/metrics').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Started as scripts/service-node-args.ts says: tsx's CommonJS hook (no build output to drift from
# the code), young generation capped for a lower peak RSS.
CMD ["node", "--max-semi-space-size=8", "--require", "tsx/cjs", "services/deploy-svc/src/main.ts"]
