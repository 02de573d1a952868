/**
 * How a hydra server process is started (also written out in package.json's start:* scripts
 * and the Dockerfiles; keep them the same):
 * - tsx's CommonJS hook runs the TypeScript sources (no ESM loader thread: ~27 MB less);
 * - a young generation capped at 8 MB semi-spaces keeps peak RSS ~15-20 MB lower at no
 *   measurable cost to latency (pnpm bench deploy).
 */
export const SERVICE_NODE_ARGS = ["--max-semi-space-size=8", "--require", "tsx/cjs"] as const;
