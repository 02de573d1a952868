import { inTransaction, newId, type Pool } from "@hydra/db";
import { deleteDomain } from "./sql/deleteDomain";
import { lockProject } from "./sql/lockProject";
import { recordRouteChange } from "./sql/recordRouteChange";
import { recordRoutingOperation } from "./sql/recordRoutingOperation";
import { renameDomain } from "./sql/renameDomain";
import type { StoredRouteChange } from "./sql/rows";
import { lockDomainsByName } from "./sql/lockDomainsByName";

export interface DomainRename {
  from: string;
  to: string;
}

export interface RenameOutcome {
  renamed: DomainRename[];
  /** Old names dropped because the project already routes the new name (a newer assignment). */
  dropped: string[];
  /** Left alone: the new name belongs to another project. */
  refused: DomainRename[];
}

/**
 * Moves a project's domains to new names (the generated-name migration), with their gateway
 * configs, in one transaction on the locked project row that bumps the routing generation —
 * the same fence AssignDomains and SwitchDomains commit behind, so a mutation that read the
 * old generation aborts and retries. Repeatable: names already moved are skipped. A new name
 * owned by another project is never taken.
 */
export async function renameDomains(pool: Pool, projectId: string, renames: DomainRename[]): Promise<RenameOutcome> {
  return inTransaction(pool, async (tx) => {
    const outcome: RenameOutcome = { renamed: [], dropped: [], refused: [] };
    const routes: StoredRouteChange[] = [];
    const project = await lockProject(tx, projectId);
    if (!project || renames.length === 0) return outcome;
    const existing = new Map(
      (
        await lockDomainsByName(
          tx,
          renames.flatMap((r) => [r.from, r.to]),
        )
      ).map((d) => [d.name, d]),
    );
    for (const rename of renames) {
      const old = existing.get(rename.from);
      if (old?.project_id !== projectId) continue;
      const taken = existing.get(rename.to);
      if (taken && taken.project_id !== projectId) {
        outcome.refused.push(rename);
      } else if (taken) {
        await deleteDomain(tx, projectId, rename.from);
        outcome.dropped.push(rename.from);
        routes.push({ hostname: rename.from, removed: true });
      } else {
        const moved = await renameDomain(tx, projectId, rename.from, rename.to);
        outcome.renamed.push(rename);
        if (moved)
          routes.push(
            { hostname: rename.from, removed: true },
            { hostname: moved.hostname, deploymentId: moved.deployment_id, config: moved.config },
          );
      }
    }
    if (outcome.renamed.length + outcome.dropped.length === 0) return outcome;
    const generation = await recordRoutingOperation(tx, project.routing_generation, {
      id: newId("routingOperation"),
      projectId,
      kind: "rename_domains",
      idempotencyKey: null,
      requestHash: "",
      response: { renamed: outcome.renamed, dropped: outcome.dropped },
    });
    // The row is locked: the generation cannot have moved.
    if (generation === undefined) throw new Error(`project ${projectId}: routing generation moved under a row lock`);
    // Last, like every routing mutation: the edge sees the renames as one change.
    if (routes.length > 0) await recordRouteChange(tx, projectId, generation, routes);
    return outcome;
  });
}
