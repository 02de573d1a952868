import type { Queryable } from "@hydra/db";
import type { GatewayConfigRow } from "./rows";

/** One page of every routed hostname, by hostname (keyset: pass the last hostname seen). */
export async function listGatewayConfigsPage(
  db: Queryable,
  afterHostname: string,
  limit: number,
): Promise<GatewayConfigRow[]> {
  const { rows } = await db.query<GatewayConfigRow>({
    name: "routing_listGatewayConfigsPage",
    text: `SELECT hostname, deployment_id, config FROM gateway_configs
            WHERE hostname > $1 ORDER BY hostname LIMIT $2`,
    values: [afterHostname, limit],
  });
  return rows;
}
