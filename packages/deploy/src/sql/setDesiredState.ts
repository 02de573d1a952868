import type { Queryable } from "@hydra/db";

export async function setDesiredState(
  db: Queryable,
  deploymentId: string,
  state: "running" | "standby" | "archived",
): Promise<void> {
  await db.query({
    name: "deploy_setDesiredState",
    text: "UPDATE deployments SET desired_state = $2::desired_state, updated_at = now() WHERE id = $1",
    values: [deploymentId, state],
  });
}
