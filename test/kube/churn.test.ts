// Several instances under churn (issue 9): three deploy-svc and two routing-svc processes on
// one database, one Redis and one cluster (a region of the real control plane `pnpm test:kube`
// starts: all deploy-svc must see the same cluster, which the simulated driver, one per process, is not),
// SIGKILLed and restarted at random for many rounds while deploys, rollbacks and promotes run
// through whichever deploy-svc is up (callers retry on `unavailable`). Checked all along, in
// one consistent read each time: the live pointer equals the LIVE domains' deployment, SPEC §4
// 1–3, and no step checkpoint is completed twice or rewritten. Checked after the churn: every
// deployment and every deploy/rollback/promote run ends within a deadline, and, once
// quiescent, no deployment behind a LIVE, ENVIRONMENT or BRANCH domain is at zero replicas.
//
// Seeded: HYDRA_CHURN_SEED=<n> replays the same kills and operations (timing aside);
// HYDRA_CHURN_ROUNDS=<n> sets the number of rounds. The figures are printed in one line.
import { setTimeout as sleep } from "node:timers/promises";
import { createPool, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { Fleet } from "../churn/support/fleet";
import { InvariantWatch } from "../churn/support/invariants";
import { Rng } from "../churn/support/rng";
import { OperationDriver, type ChurnProject } from "../churn/support/operations";
import { kubeRequest, readState } from "./control";

const APEX = "hydra.run";
const state = readState();
const REGION = Object.keys(state.regions).sort()[0]!;
const SEED = Rng.seedFromEnv();
const ROUNDS = roundsFromEnv(process.env.HYDRA_CHURN_ROUNDS, 30);
const PROJECT_COUNT = 3;
const CALLERS = 3;
/** After the churn: every deployment and run must have ended by then. */
const TERMINAL_DEADLINE_MS = 90_000;
const STANDBY_DELAY = "2s";
/** Processes down (killed, not yet listening again) at most at once. */
const MAX_DOWN = 3;

function roundsFromEnv(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  if (!/^[1-9]\d*$/.test(raw)) throw new Error(`HYDRA_CHURN_ROUNDS must be a positive integer, not "${raw}"`);
  return Number(raw);
}

let db: TestDatabase;
let pool: Pool;
let fleet: Fleet;

beforeAll(async () => {
  db = await createTestDatabase("churn");
  pool = createPool(db.url, { max: 4 });
  fleet = await Fleet.start({
    deployCount: 3,
    routingCount: 2,
    env: { DATABASE_URL: db.url, HYDRA_DEFAULT_DOMAIN: APEX },
    deployEnv: {
      HYDRA_CLUSTER_DRIVER: "kubernetes",
      HYDRA_CLUSTERS: state.clustersPath,
      // No Cilium agent here to judge policies: don't wait for a verdict that never comes.
      HYDRA_CILIUM_VERDICT_WAIT_MS: "0",
      HYDRA_LEASE_MS: "1500",
      HYDRA_STANDBY_DELAY: STANDBY_DELAY,
      HYDRA_TEST_STEP_DELAY: "",
    },
  });
}, 180_000);

afterAll(async () => {
  await fleet?.stop();
  await pool?.end();
  await db?.drop();
});

/** Completed step checkpoints so far: the measure of progress the churn paces itself on. */
async function completedSteps(): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM workflow_steps WHERE status = 'completed'",
  );
  return rows[0]!.n;
}

/**
 * Lets the system make `steps` more checkpoints, or `maxMs` pass (pacing, not an assertion:
 * under CPU contention the rounds stretch instead of killing processes that never got a turn).
 */
async function progress(steps: number, maxMs: number): Promise<void> {
  const target = (await completedSteps()) + steps;
  const until = Date.now() + maxMs;
  while (Date.now() < until && (await completedSteps()) < target) await sleep(50);
}

/** Polls `probe` until it returns an empty list or the deadline passes; returns the last list. */
async function untilEmpty(probe: () => Promise<string[]>, deadline: number): Promise<string[]> {
  for (;;) {
    const left = await probe();
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(100);
  }
}

/** What the database's sessions are doing (for a process that does not come back). */
async function sessions(): Promise<string> {
  const { rows } = await pool.query(
    "SELECT pid, application_name, state, wait_event_type, wait_event, left(query, 120) AS query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
  );
  return JSON.stringify(rows);
}

async function replicasOf(region: string, namespace: string, name: string): Promise<number | null> {
  const path = `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`;
  const response = await kubeRequest<{ spec: { replicas?: number } }>(state, region, "GET", path);
  if (response.status === 404) return null;
  if (response.status !== 200)
    throw new Error(
      `GET deployment ${namespace}/${name} in ${region}: ${response.status} ${JSON.stringify(response.body)}`,
    );
  return response.body.spec.replicas ?? 1;
}

async function createProjects(rng: Rng): Promise<ChurnProject[]> {
  const projects: ChurnProject[] = [];
  for (let i = 0; i < PROJECT_COUNT; i++) {
    const slug = `churn${i}`;
    const deadline = Date.now() + 30_000;
    const { workspaceId } = await fleet.call(
      rng,
      "CreateWorkspace",
      (c) => c.projects.createWorkspace({ name: `ws${slug}`, slug: `ws${slug}` }),
      { deadline },
    );
    const created = await fleet.call(
      rng,
      "CreateProject",
      (c) => c.projects.createProject({ workspaceId, name: slug, slug, regions: { [REGION]: 1 } }),
      { deadline },
    );
    const env = (s: string) => created.environments.find((e) => e.slug === s)!.id;
    projects.push({ projectId: created.projectId, productionId: env("production"), previewId: env("preview") });
  }
  return projects;
}

it(
  `${ROUNDS} rounds of SIGKILL and restart of 3 deploy-svc and 2 routing-svc under deploys, rollbacks and promotes keep the invariants`,
  async () => {
    const started = Date.now();
    const rng = Rng.seeded(SEED);
    const churnRng = rng.fork();
    const watch = new InvariantWatch(pool, APEX);
    const projects = await createProjects(rng.fork());
    const driver = new OperationDriver(fleet, pool, projects, watch);

    let churning = true;
    const sampler = (async () => {
      while (churning) {
        await watch.sample();
        await sleep(100);
      }
    })();
    const callers = Array.from({ length: CALLERS }, (_, i) => driver.run(`c${i}`, rng.fork(), () => churning));

    const kills: Record<string, number> = { "deploy-svc": 0, "routing-svc": 0 };
    const restarts = new Set<Promise<void>>();
    const restartMs: number[] = [];
    try {
      await progress(10, 20_000); // some deploys under way before the first kill
      for (let round = 1; round <= ROUNDS; round++) {
        // At most MAX_DOWN processes down at once: a restart still under way holds the next kill back.
        while (restarts.size >= MAX_DOWN) await Promise.race(restarts);
        const victim = churnRng.pick(fleet.all.filter((i) => i.up));
        await victim.stop("SIGKILL");
        kills[victim.service]!++;
        const begun = Date.now();
        const restart = victim.start().then(
          () => void restartMs.push(Date.now() - begun),
          async (error: Error) => {
            throw new Error(`${victim.name} did not come back: ${error.message}\nsessions: ${await sessions()}`);
          },
        );
        restarts.add(restart);
        void restart.finally(() => restarts.delete(restart)).catch(() => {});
        // The survivors carry on (and take the dead one's runs over) until the next kill.
        await progress(churnRng.int(1, 4), 5_000);
      }
      await Promise.all(restarts);
    } finally {
      churning = false;
      await Promise.allSettled([...restarts, ...callers, sampler]);
    }
    await Promise.all([...callers, sampler]);
    const churnSeconds = (Date.now() - started) / 1000;

    // Every process is up (the churn restarted them all); everything must now end.
    const unfinished = await untilEmpty(() => watch.unfinished(), Date.now() + TERMINAL_DEADLINE_MS);
    for (const detail of unfinished) watch.report("terminal", detail);
    const active = await untilEmpty(() => watch.active(), Date.now() + TERMINAL_DEADLINE_MS);
    for (const detail of active) watch.report("terminal", `not quiescent: ${detail}`);
    await watch.sample();
    const stickyDomains = await watch.checkReplicas(replicasOf);

    const statuses = await pool.query<{ status: string; n: number }>(
      "SELECT status::text AS status, count(*)::int AS n FROM deployments GROUP BY 1 ORDER BY 1",
    );
    const byStatus = Object.fromEntries(statuses.rows.map((r) => [r.status, r.n]));
    const figures = {
      seed: SEED,
      rounds: ROUNDS,
      kills: kills["deploy-svc"]! + kills["routing-svc"]!,
      deploySvcKills: kills["deploy-svc"],
      routingSvcKills: kills["routing-svc"],
      operations: driver.operations,
      outcomes: driver.outcomes,
      retries: driver.retries,
      deployments: byStatus,
      samples: watch.samples,
      stickyDomains,
      violations: watch.violations.length,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      churnSeconds: Math.round(churnSeconds * 10) / 10,
      restartSecondsMax: Math.round(Math.max(...restartMs) / 100) / 10,
    };
    process.stdout.write(`churn figures ${JSON.stringify(figures)}\n`);
    if (watch.violations.length > 0) {
      const lines = fleet.all.map((i) => `== ${i.name}\n${i.lastLines(15).join("\n")}`).join("\n");
      process.stdout.write(
        `churn violations (seed ${SEED}):\n${watch.violations.map((v) => `${v.invariant}: ${v.detail}`).join("\n")}\n${lines}\n`,
      );
    }
    expect({ seed: SEED, violations: watch.violations }).toEqual({ seed: SEED, violations: [] });
    // The run did what it claims: processes died, and operations of every kind went through.
    expect(figures.kills).toBeGreaterThanOrEqual(ROUNDS);
    expect(Math.min(driver.succeeded.deploy, driver.succeeded.rollback + driver.succeeded.promote)).toBeGreaterThan(0);
  },
  240_000 + ROUNDS * 30_000,
);
