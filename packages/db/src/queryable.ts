import type { Pool, PoolClient } from "./pool";

/** Anything that runs a query: the pool, or a client inside a transaction. Every `sql/` function takes one. */
export type Queryable = Pick<Pool, "query"> | Pick<PoolClient, "query">;
