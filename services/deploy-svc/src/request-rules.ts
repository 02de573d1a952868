import { int64Decimal, type RequestRules } from "@hydra/server-kit";
import { z } from "zod";

/** 9999-12-31T23:59:59.999Z: beyond it Postgres and JavaScript dates disagree or overflow. */
const MAX_COMMIT_TIMESTAMP_MS = 253_402_300_799_999n;

/**
 * deploy-svc's field rules beyond the defaults every string gets (no NUL, at most 4 KiB):
 * numbers that land in Postgres columns, and the few strings allowed to be longer.
 */
export const DEPLOY_REQUEST_RULES: RequestRules = {
  fields: {
    // 8192 characters (deployment-input.ts) of up to 4 bytes each.
    "ctrl.v1.GitCommit.commit_message": { maxBytes: 32 * 1024 },
    "ctrl.v1.GitCommit.timestamp_ms": {
      schema: z.bigint().min(0n, "must not be negative").max(MAX_COMMIT_TIMESTAMP_MS, "is beyond the year 9999"),
    },
    "hydra.v1.GitSource.installation_id": { schema: z.bigint().min(0n, "must not be negative") },
    "ctrl.v1.WatchDeploymentRequest.after_event_id": { schema: z.literal("").or(int64Decimal) },
  },
};
