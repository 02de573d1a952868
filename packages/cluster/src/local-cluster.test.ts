// The simulated driver as a local cluster that serves: real instance servers, a real nginx
// sentinel per environment with the generated config, a local DNS server. Skipped without nginx.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { SentinelRef, WorkloadRef } from "./driver";
import { nginxAvailable } from "./local/nginx";
import { namespaceName } from "./names";
import { SimulatedDriver } from "./simulated";
import { askSentinel } from "./testing";

const ids = {
  workspaceId: "ws_01h455vb4pex5vsknk084sn02q",
  projectId: "prj_01h455vb4pex5vsknk084sn02q",
  environmentId: "env_01h455vb4pex5vsknk084sn02q",
};
const otherEnvironment = "env_01h455vb4pex5vsknk084sn09z";
const namespace = namespaceName(ids.workspaceId);
const REGION = "local";

/** A request as the frontline sends it to a sentinel. */
const viaSentinel = (sentinel: SentinelRef, deploymentId: string, pathname = "/hello") =>
  askSentinel(sentinel.externalAddress!, { host: "web-acme.hydra.run", deploymentId, path: pathname });

/** Whether something accepts TCP connections at `address`. */
function accepts(address: string): Promise<boolean> {
  const [host, port] = address.split(":");
  return new Promise((resolve) => {
    const socket = connect({ host: host!, port: Number(port) });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** The first answer that satisfies `done`, asked every 50 ms for at most 5 s (then the last one). */
async function eventually<T>(ask: () => Promise<T>, done: (answer: T) => boolean): Promise<T> {
  const until = Date.now() + 5_000;
  for (;;) {
    const answer = await ask();
    if (done(answer) || Date.now() > until) return answer;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const deadline = () => ({ deadline: new Date(Date.now() + 10_000) });
const describeServing = nginxAvailable() ? describe : describe.skip;
if (!nginxAvailable()) console.warn("local cluster tests skipped: nginx is not installed (apt-get install -y nginx)");

describeServing("the simulated driver serving (a local cluster)", () => {
  let dir: string;
  let driver: SimulatedDriver;
  let sentinel: SentinelRef;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "hydra-local-cluster-"));
    driver = new SimulatedDriver({
      regions: [REGION],
      readyMs: 20,
      statePath: path.join(dir, "cluster.log"),
      serve: true,
    });
    await driver.ensureNamespace(REGION, namespace);
    sentinel = await driver.ensureSentinel(REGION, {
      ...ids,
      namespace,
      image: "nginxinc/nginx-unprivileged:1.27-alpine",
      replicas: 1,
    });
  });

  afterAll(async () => {
    await driver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const deploy = async (
    deploymentId: string,
    replicas: number,
    environmentId = ids.environmentId,
  ): Promise<WorkloadRef> => {
    const ref = await driver.applyWorkload(REGION, {
      ...ids,
      environmentId,
      deploymentId,
      namespace,
      image: `registry.local/${deploymentId}:1`,
      replicas,
    });
    await driver.waitReady(REGION, ref, replicas, deadline());
    return ref;
  };

  it("runs the sentinel as a real nginx on an address of its own, reachable at its external address", async () => {
    expect(sentinel.externalAddress).toMatch(/^127\.\d+\.\d+\.\d+:8080$/);
    expect(sentinel.host).toBe(`sentinel-env-01h455vb4pex5vsknk084sn02q.${namespace}.svc.cluster.local`);
    expect(await accepts(sentinel.externalAddress!)).toBe(true);
    // Idempotent: ensuring it again keeps the same process and address.
    const pid = driver.localSentinel(REGION, ids.environmentId)!.pid;
    expect((await driver.ensureSentinel(REGION, { ...ids, namespace, image: "x", replicas: 1 })).externalAddress).toBe(
      sentinel.externalAddress,
    );
    expect(driver.localSentinel(REGION, ids.environmentId)!.pid).toBe(pid);
  });

  it("the sentinel is ready once its nginx answers its health endpoint: a stopped one misses the deadline, named; ensuring it again restarts it", async () => {
    const own = { ...ids, environmentId: "env_01h455vb4pex5vsknk084sn0ss" };
    const ref = await driver.ensureSentinel(REGION, { ...own, namespace, image: "x", replicas: 2 });
    await expect(driver.waitSentinel(REGION, ref, 2, deadline())).resolves.toBeUndefined();
    await driver.localSentinel(REGION, own.environmentId)!.stop();
    const error = await driver.waitSentinel(REGION, ref, 2, { deadline: new Date(Date.now() + 300) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: "deadline_exceeded",
      kind: "deadline_exceeded",
      transient: false,
      ready: 0,
      required: 2,
    });
    expect((error as Error).message).toContain(`sentinel ${namespace}/${ref.name}`);
    expect((error as Error).message).toContain("does not answer its health endpoint");
    // A re-apply (what wait-ready's reconciliation does) brings it back, at the same address.
    const again = await driver.ensureSentinel(REGION, { ...own, namespace, image: "x", replicas: 2 });
    expect(again.externalAddress).toBe(ref.externalAddress);
    await expect(driver.waitSentinel(REGION, again, 2, deadline())).resolves.toBeUndefined();
    expect(await accepts(again.externalAddress!)).toBe(true);
  });

  it("each instance is a real server on its own loopback address; the sentinel reaches them all by the Service name", async () => {
    const id = "dep_01h455vb4pex5vsknk084sn1aa";
    const ref = await deploy(id, 2);
    const instances = await driver.waitReady(REGION, ref, 2, deadline());
    const hosts = instances.map((i) => i.address.split(":")[0]);
    expect(new Set(hosts).size).toBe(2);
    for (const instance of instances) expect(await accepts(instance.address)).toBe(true);
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const answer = await viaSentinel(sentinel, id, `/p/${i}`);
      expect(answer.status).toBe(200);
      const who = JSON.parse(answer.body) as Record<string, string>;
      expect(who).toMatchObject({
        deployment: id,
        region: REGION,
        image: `registry.local/${id}:1`,
        path: `/p/${i}`,
        host: "web-acme.hydra.run",
      });
      seen.add(who.instance!);
    }
    expect([...seen].sort()).toEqual(instances.map((i) => i.id));
  });

  it("killing one instance of two leaves the other serving every request; the killed one comes back", async () => {
    const id = "dep_01h455vb4pex5vsknk084sn1bb";
    const ref = await deploy(id, 2);
    const [victim, survivor] = await driver.waitReady(REGION, ref, 2, deadline());
    await driver.killInstance(victim!.id);
    expect(await accepts(victim!.address)).toBe(false);
    const answers = await Promise.all(Array.from({ length: 20 }, () => viaSentinel(sentinel, id)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.map((a) => (JSON.parse(a.body) as { deployment: string }).deployment)).toEqual(Array(20).fill(id));
    const back = await driver.waitReady(REGION, ref, 2, deadline());
    expect(back.map((i) => i.id)).toEqual([victim!.id, survivor!.id]);
    expect(await accepts(victim!.address)).toBe(true);
  });

  it("scaling to zero stops the instances; the sentinel answers 503 with Retry-After (no activator), and serves again after scaling up", async () => {
    const id = "dep_01h455vb4pex5vsknk084sn1cc";
    const ref = await deploy(id, 1);
    const [instance] = await driver.waitReady(REGION, ref, 1, deadline());
    await driver.scale(REGION, ref, 0);
    expect(await driver.waitReady(REGION, ref, 0, deadline())).toEqual([]);
    expect(await accepts(instance!.address)).toBe(false);
    // The sentinel's resolver reuses an answer for up to 2 s (1 s, in whole seconds).
    const answer = await eventually(
      () => viaSentinel(sentinel, id),
      (a) => a.status !== 200,
    );
    expect(answer).toMatchObject({ status: 503, retryAfter: "5" });
    expect(answer.body).toContain("has no ready instance");
    await driver.scale(REGION, ref, 1);
    await driver.waitReady(REGION, ref, 1, deadline());
    expect(
      (
        await eventually(
          () => viaSentinel(sentinel, id),
          (a) => a.status === 200,
        )
      ).status,
    ).toBe(200);
  });

  it("answers 404 for another environment's deployment and for one that does not exist", async () => {
    const theirs = "dep_01h455vb4pex5vsknk084sn1dd";
    await deploy(theirs, 1, otherEnvironment);
    for (const id of [theirs, "dep_01h455vb4pex5vsknk084sn1zz"]) {
      const answer = await viaSentinel(sentinel, id);
      expect({ id, status: answer.status }).toEqual({ id, status: 404 });
      expect(answer.body).toContain("in this environment");
    }
  });

  it("keeps its state incrementally: a change appends a line the size of the change, however much the cluster holds", async () => {
    const log = path.join(dir, "cluster.log");
    const growth = async (deploymentId: string) => {
      const before = statSync(log).size;
      await driver.applyWorkload(REGION, { ...ids, deploymentId, namespace, image: "registry.local/x:1", replicas: 0 });
      return statSync(log).size - before;
    };
    const first = await growth("dep_01h455vb4pex5vsknk084sn2aa");
    for (let i = 0; i < 200; i++)
      await driver.applyWorkload(REGION, {
        ...ids,
        deploymentId: `dep_01h455vb4pex5vsknk084s${String(i).padStart(3, "0")}`.replace(/[^0-9a-z_]/g, "0"),
        namespace,
        image: "registry.local/x:1",
        replicas: 0,
      });
    const later = await growth("dep_01h455vb4pex5vsknk084sn2bb");
    expect(later).toBeLessThan(first * 1.5);
    expect(readFileSync(log, "utf8").split("\n").length).toBeGreaterThan(200);
  });

  it("a new driver on the same state (deploy-svc restarted) serves the same pods and sentinel again", async () => {
    const id = "dep_01h455vb4pex5vsknk084sn1ee";
    const ref = await deploy(id, 1);
    const before = await driver.waitReady(REGION, ref, 1, deadline());
    await driver.close();
    expect(await accepts(before[0]!.address)).toBe(false);
    driver = new SimulatedDriver({
      regions: [REGION],
      readyMs: 20,
      statePath: path.join(dir, "cluster.log"),
      serve: true,
    });
    expect(await driver.waitReady(REGION, ref, 1, deadline())).toEqual(before);
    const again = await driver.ensureSentinel(REGION, { ...ids, namespace, image: "x", replicas: 1 });
    expect(again.externalAddress).toBe(sentinel.externalAddress);
    expect((await viaSentinel(again, id)).status).toBe(200);
  });
});
