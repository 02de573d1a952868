// The routing core against a fresh test database and real Redis, for the specs beside each concept.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { createPool, newId, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import {
  type AssignDomainsRequest,
  AssignDomainsRequestSchema,
  type DomainToAssignSchema,
  type GatewayConfigSchema,
  SwitchDomainsRequestSchema,
} from "@hydra/proto/hydra/v1";
import { RoutingCore } from "./core";
import { ProjectLock } from "./lock";
import { createProjectFixture, gatewayConfigFor, type ProjectFixture, routingInvariantViolations } from "./testing";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export type AssignInit = Partial<Omit<AssignDomainsRequest, "$typeName" | "$unknown" | "domains" | "gatewayConfig">> & {
  deploymentId: string;
  domains?: MessageInitShape<typeof DomainToAssignSchema>[];
  gatewayConfig?: MessageInitShape<typeof GatewayConfigSchema>;
};

export interface CoreHarness {
  readonly database: TestDatabase;
  readonly pool: Pool;
  readonly lock: ProjectLock;
  readonly core: RoutingCore;
  /** A fresh project for each test. */
  readonly project: ProjectFixture;
  /** An AssignDomains request for this test's project, production environment, with a fresh key and a config. */
  assignRequest(init: AssignInit): AssignDomainsRequest;
  assign(init: AssignInit): ReturnType<RoutingCore["assignDomains"]>;
  switchTo(init: MessageInitShape<typeof SwitchDomainsRequestSchema>): ReturnType<RoutingCore["switchDomains"]>;
  domainIds(names: string[]): Promise<string[]>;
  /** The deployment a domain points at. */
  pointer(name: string): Promise<string | undefined>;
  live(): Promise<{ live_deployment_id: string | null; is_rolled_back: boolean }>;
  expectInvariants(): Promise<void>;
  /** A served hostname unique to this test's project. */
  apex(label: string): string;
}

/** Registers the jest hooks that build and tear down the harness; read its fields inside tests. */
export function useCoreHarness(label: string): CoreHarness {
  let database!: TestDatabase;
  let pool!: Pool;
  let lock!: ProjectLock;
  let core!: RoutingCore;
  let project!: ProjectFixture;
  beforeAll(async () => {
    database = await createTestDatabase(label);
    pool = createPool(database.url, { max: 10 });
    lock = new ProjectLock({ redisUrls: [REDIS_URL], keyPrefix: `${database.name}:` });
    core = new RoutingCore({ pool, lock, defaultDomain: "hydra.test" });
  });
  afterAll(async () => {
    await lock.close();
    await pool.end();
    await database.drop();
  });
  beforeEach(async () => {
    project = await createProjectFixture(pool);
  });
  const assignRequest = (init: AssignInit) =>
    create(AssignDomainsRequestSchema, {
      workspaceId: project.workspaceId,
      projectId: project.projectId,
      environmentId: project.productionId,
      idempotencyKey: newId("routingOperation"),
      gatewayConfig: gatewayConfigFor(init.deploymentId),
      ...init,
    });
  return {
    get database() {
      return database;
    },
    get pool() {
      return pool;
    },
    get lock() {
      return lock;
    },
    get core() {
      return core;
    },
    get project() {
      return project;
    },
    assignRequest,
    assign: (init) => core.assignDomains(assignRequest(init)),
    switchTo: (init) =>
      core.switchDomains(create(SwitchDomainsRequestSchema, { idempotencyKey: newId("routingOperation"), ...init })),
    domainIds: async (names) => {
      const { rows } = await pool.query<{ id: string }>("SELECT id FROM domains WHERE name = ANY($1) ORDER BY name", [
        names,
      ]);
      return rows.map((r) => r.id);
    },
    pointer: async (name) => {
      const { rows } = await pool.query<{ deployment_id: string }>(
        "SELECT deployment_id FROM domains WHERE name = $1",
        [name],
      );
      return rows[0]?.deployment_id;
    },
    live: async () => {
      const { rows } = await pool.query("SELECT live_deployment_id, is_rolled_back FROM projects WHERE id = $1", [
        project.projectId,
      ]);
      return rows[0];
    },
    expectInvariants: async () => {
      expect(await routingInvariantViolations(pool, project.projectId, (h) => core.isLocal(h))).toEqual([]);
    },
    apex: (label) => `${label}-${project.projectId.slice(-8)}.hydra.test`,
  };
}
