import { createBuildBackends } from "@hydra/build";
import { TerminalError } from "@hydra/workflow";
import { imageBuilder } from "./builder";

const request = (source: { dockerImage?: { image: string } }) => ({
  deploymentId: "dep_01h455vb4pex5vsknk084sn02q",
  workspaceId: "ws_01h455vb4pex5vsknk084sn02q",
  workspaceSlug: "acme",
  projectId: "prj_01h455vb4pex5vsknk084sn02q",
  projectSlug: "web",
  source,
});
const options = () => ({ signal: new AbortController().signal, deadline: new Date(Date.now() + 60_000) });

describe("imageBuilder", () => {
  it.each([
    ["an image reference the OCI grammar refuses", { dockerImage: { image: "Not An Image::" } }],
    ["no source at all", {}],
  ])("fails the build step at once for %s, its code as data", async (_what, source) => {
    const error = await imageBuilder(createBuildBackends({}))
      .build(request(source), options())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TerminalError);
    expect(error).toMatchObject({ code: "invalid_argument", kind: "failed" });
    expect((error as Error).message).not.toMatch(/^\[/); // the code is not in the text
  });

  it("passes a valid image through", async () => {
    await expect(
      imageBuilder(createBuildBackends({})).build(request({ dockerImage: { image: "nginx:1.27" } }), options()),
    ).resolves.toEqual({ image: "nginx:1.27" });
  });
});
