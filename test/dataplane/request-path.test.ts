// The whole request path with every part real: client → frontline (HAProxy driven by the
// frontline agent from routing-svc's WatchRoutes) → the environment's sentinel (nginx run by
// deploy-svc's simulated cluster, HYDRA_SIMULATED_SERVE=true) → the deployment's instance (a
// local HTTP server answering with who it is). Deploy, Rollback and Promote go through
// deploy-svc; every answer is checked by what the instance says it is. Needs nginx and haproxy.
import { nginxAvailable } from "@hydra/cluster";
import { APEX, expectedDomains, randomSha, type Hydra, type ProjectInfo } from "../deploy/support/harness";
import { type EdgeStack, startEdgeStack } from "./support/edge-stack";
import { eventually } from "./support/processes";

const describePath = nginxAvailable() ? describe : describe.skip;
if (!nginxAvailable()) console.warn("request-path tests skipped: nginx is not installed (apt-get install -y nginx)");

describePath("a request through frontline, the sentinel and the instance", () => {
  let stack: EdgeStack;
  let h: Hydra;
  let project: ProjectInfo;
  const sha = { a: randomSha(), b: randomSha() };
  const ids = { a: "", b: "" };
  const domainsOf = (s: string) => expectedDomains(project, { sha: s, branch: "main", environment: "production" });
  const ask = (host: string) => stack.ask(host);
  const answeredBy = (host: string, deploymentId: string) =>
    eventually(
      `${host} answered by ${deploymentId}`,
      () => ask(host),
      (r) => r.status === 200 && r.deployment === deploymentId,
      30_000,
    );

  beforeAll(async () => {
    stack = await startEdgeStack({ label: "request_path", deployEnv: { HYDRA_STANDBY_DELAY: "1h" } });
    h = stack.h;
    project = await h.createProject({ regions: { local: 1 } });
  }, 90_000);

  afterAll(async () => {
    await stack?.close();
  });

  it("the live domain answers from the deployed instance; an unknown hostname gets 404", async () => {
    ids.a = await h.deployReady(project, { sha: sha.a });
    const a = domainsOf(sha.a);
    const answer = await answeredBy(a.live, ids.a);
    expect(answer).toMatchObject({ status: 200, deployment: ids.a, region: "local", host: a.live });
    expect(answer.instance).toEqual(expect.any(String));
    for (const name of [a.environment, a.branch, a.commit]) await answeredBy(name, ids.a);
    expect(await ask(`nobody-${project.projectSlug}.${APEX}`)).toEqual({
      status: 404,
      body: "hydra: no deployment is routed for this hostname",
    });
  }, 90_000);

  it("a second deploy takes the live and environment domains; the first commit's domain still answers from it", async () => {
    ids.b = await h.deployReady(project, { sha: sha.b });
    const a = domainsOf(sha.a);
    const b = domainsOf(sha.b);
    await answeredBy(b.live, ids.b);
    await answeredBy(b.environment, ids.b);
    const fromB = await answeredBy(b.commit, ids.b);
    const fromA = await ask(a.commit);
    expect(fromA).toMatchObject({ status: 200, deployment: ids.a, host: a.commit });
    expect(fromA.instance).not.toEqual(fromB.instance);
  }, 90_000);

  it("rollback sends the live domain back to the first deployment; promote brings it to the second", async () => {
    const { live, environment } = domainsOf(sha.a);
    await h.deploys.rollback({ sourceDeploymentId: ids.b, targetDeploymentId: ids.a });
    await answeredBy(live, ids.a);
    await answeredBy(environment, ids.a);
    expect(await ask(domainsOf(sha.b).commit)).toMatchObject({ status: 200, deployment: ids.b });
    await h.deploys.promote({ targetDeploymentId: ids.b });
    await answeredBy(live, ids.b);
    await answeredBy(environment, ids.b);
    expect(await ask(domainsOf(sha.a).commit)).toMatchObject({ status: 200, deployment: ids.a });
  }, 90_000);

  it("with routing-svc and the frontline agent killed, HAProxy keeps serving the last routes", async () => {
    await Promise.all([stack.killFrontline(), h.routingSvc.stop("SIGKILL")]);
    const b = domainsOf(sha.b);
    for (let i = 0; i < 10; i++) {
      expect(await ask(b.live)).toMatchObject({ status: 200, deployment: ids.b });
      expect(await ask(domainsOf(sha.a).commit)).toMatchObject({ status: 200, deployment: ids.a });
    }
  }, 60_000);
});
