import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { PrismaClient } from "./generated/prisma/client";

export { Prisma } from "./generated/prisma/client";
export type { PrismaClient } from "./generated/prisma/client";
export * as models from "./generated/prisma/models";
export {
  DeploymentStatus,
  DesiredState,
  DomainSticky,
  WorkflowRunStatus,
  WorkflowStepStatus,
} from "./generated/prisma/enums";

/** A Prisma client that shares the service's pg pool (one pool per process). */
export function createPrisma(pool: pg.Pool): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}
