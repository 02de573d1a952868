-- Errors as data: a run's failure (and a failed step's) carries its code and kind in columns
-- of their own, never parsed from the message. Codes are Connect code names in snake_case
-- (@hydra/db/errors); kinds say what ended or parked the run (packages/workflow/src/errors.ts).
CREATE TYPE "workflow_failure_kind" AS ENUM ('refused', 'failed', 'deadline', 'cancelled', 'superseded', 'exhausted', 'nondeterministic');
CREATE TYPE "workflow_cancel_kind" AS ENUM ('cancelled', 'superseded');

ALTER TABLE "workflow_runs" ADD COLUMN "error_code" TEXT,
ADD COLUMN "error_kind" "workflow_failure_kind",
ADD COLUMN "cancel_kind" "workflow_cancel_kind";

ALTER TABLE "workflow_steps" ADD COLUMN "error_code" TEXT,
ADD COLUMN "error_kind" "workflow_failure_kind";
