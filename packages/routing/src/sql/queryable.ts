import type pg from "pg";

/** A pool or a client inside a transaction: each SQL operation here takes one. */
export type Queryable = Pick<pg.PoolClient, "query">;

/** A gateway config as stored (proto JSON of hydra.v1.GatewayConfig). */
export type GatewayConfigJson = Record<string, unknown>;
