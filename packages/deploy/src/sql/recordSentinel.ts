import type { Queryable } from "@hydra/db";

export async function recordSentinel(
  db: Queryable,
  s: {
    id: string;
    workspaceId: string;
    projectId: string;
    environmentId: string;
    region: string;
    namespace: string;
    name: string;
  },
): Promise<void> {
  await db.query({
    name: "deploy_recordSentinel",
    text: `INSERT INTO sentinels (id, workspace_id, project_id, environment_id, region, namespace, name)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (environment_id, region) DO NOTHING`,
    values: [s.id, s.workspaceId, s.projectId, s.environmentId, s.region, s.namespace, s.name],
  });
}
