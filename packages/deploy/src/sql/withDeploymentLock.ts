import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { backoffDelayMs, type Backoff, type Pool } from "@hydra/db";
import { acquireDeploymentLock } from "./acquireDeploymentLock";
import { releaseDeploymentLock } from "./releaseDeploymentLock";
import { renewDeploymentLock } from "./renewDeploymentLock";

export interface DeploymentLockOptions {
  /** How long to wait for the lock before failing (transiently). */
  waitMs?: number;
  /** The lease: renewed every third of it while `fn` runs; a holder that stops renewing loses the lock after it. */
  leaseMs?: number;
}

/** While another holder has the lock, look again every 50–250 ms. */
const LOCKED_POLL: Backoff = { initialMs: 150, factor: 1, maxMs: 250, jitter: 2 / 3 };

/** The lock was not free within `waitMs`: worth retrying later. */
export class DeploymentLockTimeoutError extends Error {
  override name = "DeploymentLockTimeoutError";
  readonly transient = true;
}

/**
 * Runs `fn` holding a deployment's lock, so scaling it down (standby) and scaling it up (wake
 * for a rollback, promote or request) never interleave. The lock is a lease row taken, renewed
 * and released in single statements: no pooled connection is held while `fn` runs (a wake may
 * wait 15 minutes for readiness), so any number of concurrent holders cannot starve the pool.
 * `fn`'s signal aborts if the lease is lost (this process stalled past it). Bounded wait.
 */
export async function withDeploymentLock<T>(
  pool: Pool,
  deploymentId: string,
  fn: (signal: AbortSignal) => Promise<T>,
  options: DeploymentLockOptions = {},
): Promise<T> {
  const waitMs = options.waitMs ?? 30_000;
  const leaseMs = options.leaseMs ?? 60_000;
  const owner = randomUUID();
  const deadline = Date.now() + waitMs;
  while (!(await acquireDeploymentLock(pool, deploymentId, owner, leaseMs))) {
    if (Date.now() >= deadline)
      throw new DeploymentLockTimeoutError(`deployment ${deploymentId} is locked (waited ${waitMs} ms)`);
    await sleep(Math.min(backoffDelayMs(LOCKED_POLL, 1), Math.max(1, deadline - Date.now())));
  }
  const lost = new AbortController();
  const renewal = setInterval(
    () => {
      renewDeploymentLock(pool, deploymentId, owner, leaseMs).then(
        (held) => {
          if (!held) lost.abort(new Error(`lost the lock of deployment ${deploymentId}`));
        },
        () => {}, // a failed renewal is retried at the next tick; the lease covers two of them
      );
    },
    Math.max(10, Math.floor(leaseMs / 3)),
  );
  try {
    return await fn(lost.signal);
  } finally {
    clearInterval(renewal);
    await releaseDeploymentLock(pool, deploymentId, owner).catch(() => {}); // else it expires
  }
}
