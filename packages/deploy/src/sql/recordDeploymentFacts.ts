import type { Queryable } from "./rows";

/** Small writes of the Deploy workflow's steps; each is idempotent, so a replayed step is harmless. */

export async function recordImage(db: Queryable, deploymentId: string, image: string): Promise<void> {
  await db.query({
    name: "deploy_recordImage",
    text: "UPDATE deployments SET image = $2, updated_at = now() WHERE id = $1",
    values: [deploymentId, image],
  });
}

export async function recordBuildId(db: Queryable, deploymentId: string, buildId: string): Promise<void> {
  await db.query({
    name: "deploy_recordBuildId",
    text: "UPDATE deployments SET build_id = $2, updated_at = now() WHERE id = $1",
    values: [deploymentId, buildId],
  });
}

export async function findBuildId(db: Queryable, deploymentId: string): Promise<string | null> {
  const result = await db.query<{ build_id: string | null }>({
    name: "deploy_findBuildId",
    text: "SELECT build_id FROM deployments WHERE id = $1",
    values: [deploymentId],
  });
  return result.rows[0]?.build_id ?? null;
}

export async function createTopologies(db: Queryable, deploymentId: string, regions: Record<string, number>): Promise<void> {
  const names = Object.keys(regions).sort();
  await db.query({
    name: "deploy_createTopologies",
    text: `INSERT INTO deployment_topologies (deployment_id, region, desired_replicas, status, updated_at)
           SELECT $1, region, replicas, 'pending', now() FROM unnest($2::text[], $3::int[]) AS t(region, replicas)
           ON CONFLICT (deployment_id, region) DO NOTHING`,
    values: [deploymentId, names, names.map((n) => regions[n])],
  });
}

export async function recordSentinel(
  db: Queryable,
  s: { id: string; workspaceId: string; projectId: string; environmentId: string; region: string; namespace: string; name: string },
): Promise<void> {
  await db.query({
    name: "deploy_recordSentinel",
    text: `INSERT INTO sentinels (id, workspace_id, project_id, environment_id, region, namespace, name)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (environment_id, region) DO NOTHING`,
    values: [s.id, s.workspaceId, s.projectId, s.environmentId, s.region, s.namespace, s.name],
  });
}

export async function setTopology(db: Queryable, deploymentId: string, region: string, status: string, workload?: unknown): Promise<void> {
  await db.query({
    name: "deploy_setTopology",
    text: `UPDATE deployment_topologies SET status = $3, workload = coalesce($4::jsonb, workload), updated_at = now()
           WHERE deployment_id = $1 AND region = $2`,
    values: [deploymentId, region, status, workload === undefined ? null : JSON.stringify(workload)],
  });
}

export interface TopologyWorkload {
  region: string;
  desiredReplicas: number;
  status: string;
  workload: unknown;
}

export async function listTopologyWorkloads(db: Queryable, deploymentId: string): Promise<TopologyWorkload[]> {
  const result = await db.query<{ region: string; desired_replicas: number; status: string; workload: unknown }>({
    name: "deploy_listTopologyWorkloads",
    text: "SELECT region, desired_replicas, status, workload FROM deployment_topologies WHERE deployment_id = $1 ORDER BY region",
    values: [deploymentId],
  });
  return result.rows.map((r) => ({ region: r.region, desiredReplicas: r.desired_replicas, status: r.status, workload: r.workload }));
}

export async function replaceInstances(
  db: Queryable,
  deploymentId: string,
  instances: { id: string; region: string; address: string; status: string }[],
): Promise<void> {
  await db.query({
    name: "deploy_replaceInstances",
    text: `WITH gone AS (
             DELETE FROM instances WHERE deployment_id = $1 AND NOT (id = ANY($2::text[]))
           )
           INSERT INTO instances (id, deployment_id, region, address, status, updated_at)
           SELECT id, $1, region, address, status, now()
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS t(id, region, address, status)
           ON CONFLICT (deployment_id, id) DO UPDATE SET address = EXCLUDED.address, status = EXCLUDED.status, updated_at = now()`,
    values: [deploymentId, instances.map((i) => i.id), instances.map((i) => i.region), instances.map((i) => i.address), instances.map((i) => i.status)],
  });
}

export async function setDesiredState(db: Queryable, deploymentId: string, state: "running" | "standby" | "archived"): Promise<void> {
  await db.query({
    name: "deploy_setDesiredState",
    text: "UPDATE deployments SET desired_state = $2::desired_state, updated_at = now() WHERE id = $1",
    values: [deploymentId, state],
  });
}

/** Marks every instance of a deployment stopped (after a scale to zero). */
export async function stopInstances(db: Queryable, deploymentId: string): Promise<void> {
  await db.query({
    name: "deploy_stopInstances",
    text: "UPDATE instances SET status = 'stopped', updated_at = now() WHERE deployment_id = $1",
    values: [deploymentId],
  });
}
