import { gatewayConfigFor } from "./gateway-config";

const owner = { workspaceId: "ws_1", projectId: "prj_1", environmentId: "env_1" };
const use1 = { host: "sentinel-env-1.ws-1.svc.cluster.local", servicePort: 80 };
const euw1 = {
  host: "sentinel-env-1.ws-1.svc.cluster.local",
  servicePort: 80,
  externalAddress: "sentinel-env-1.ws-1.euw1.example.net:80",
};

describe("gatewayConfigFor", () => {
  it.each([
    [
      "one region, in-cluster only",
      { "us-east-1": use1 },
      [{ region: "us-east-1", serviceHost: use1.host, servicePort: 80, externalAddress: "" }],
    ],
    [
      "regions sorted, external address kept",
      { "us-east-1": use1, "eu-west-1": euw1 },
      [
        { region: "eu-west-1", serviceHost: euw1.host, servicePort: 80, externalAddress: euw1.externalAddress },
        { region: "us-east-1", serviceHost: use1.host, servicePort: 80, externalAddress: "" },
      ],
    ],
    ["no region", {}, []],
  ])("%s", (_name, sentinels, expected) => {
    const config = gatewayConfigFor({ ...owner, deploymentId: "dep_1", port: 8080, sentinels });
    expect(config).toEqual({ deploymentId: "dep_1", isEnabled: true, ...owner, port: 8080, sentinels: expected });
    expect(JSON.stringify(config)).not.toMatch(/instances|address":"\d/);
  });
});
