/**
 * The session-level advisory lock an engine instance holds for its lifetime, keyed by its
 * owner id: (hashtext('hydra_workflow_owner'), hashtext(owner)). Keys are computed in SQL only,
 * so the holder and every observer agree. A hash collision with another live owner can only make
 * a dead owner look alive (its runs then wait for the lease): never the other way round.
 */
export function ownerLockKeysSql(ownerSql: string): string {
  return `hashtext('hydra_workflow_owner'), hashtext(${ownerSql})`;
}

/** SQL condition: the owner named by `ownerSql` holds its lock in this database now (pg_locks, two-key form has objsubid 2). */
export function ownerLockHeldSql(ownerSql: string): string {
  return `EXISTS (
    SELECT 1 FROM pg_locks l
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid = hashtext('hydra_workflow_owner')::oid AND l.objid = hashtext(${ownerSql})::oid)`;
}
