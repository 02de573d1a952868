import type { Queryable } from "@hydra/db";

/** Marks every instance of a deployment stopped (after a scale to zero). */
export async function stopInstances(db: Queryable, deploymentId: string): Promise<void> {
  await db.query({
    name: "deploy_stopInstances",
    text: "UPDATE instances SET status = 'stopped', updated_at = now() WHERE deployment_id = $1",
    values: [deploymentId],
  });
}
