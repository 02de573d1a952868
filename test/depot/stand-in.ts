import { randomBytes, createHash } from "node:crypto";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import {
  BuildService,
  CreateBuildRequestSchema,
  CreateBuildResponseSchema,
  FinishBuildRequestSchema,
  FinishBuildResponseSchema,
} from "./gen/depot/build/v1/build_pb";
import {
  ImageSchema,
  ListImagesRequestSchema,
  ListImagesResponseSchema,
  RegistryService,
  type Image,
} from "./gen/depot/build/v1/registry_pb";
import {
  Build_Status,
  BuildSchema,
  BuildService as CoreBuildService,
  GetBuildRequestSchema,
  GetBuildResponseSchema,
} from "./gen/depot/core/v1/build_pb";
import {
  CreateProjectRequestSchema,
  CreateProjectResponseSchema,
  ListProjectsRequestSchema,
  ListProjectsResponseSchema,
  ProjectSchema,
  ProjectService,
  type Project,
} from "./gen/depot/core/v1/project_pb";

/**
 * A local stand-in of the Depot API: the RPCs hydra's Depot backend makes through
 * @depot/sdk-node (BuildService.CreateBuild/FinishBuild, RegistryService.ListImages,
 * core BuildService.GetBuild, ProjectService.ListProjects/CreateProject), served over HTTP/2 cleartext with the Connect protocol, as
 * api.depot.dev serves them. It keeps builds and registry images in memory, records every call
 * it is asked, and can be told to fail or stall a method.
 *
 * `depot build` reports progress to Depot over an API of the CLI's own that the SDK does not
 * cover; the fake CLI (fake-depot.js) stands in for that with one plain JSON request,
 * `POST /_standin/builds/<id>/finish`, authenticated with the build's one-time token.
 */

export type DepotMethod = "CreateBuild" | "FinishBuild" | "ListImages" | "GetBuild" | "ListProjects" | "CreateProject";

export interface RecordedCall {
  method: DepotMethod;
  authorization: string | undefined;
  /** The request message in its proto3 JSON form. */
  request: unknown;
}

export interface StandInBuild {
  buildId: string;
  projectId: string;
  buildToken: string;
  status: Build_Status;
  finishedWith?: { error?: string };
}

interface Fault {
  method: DepotMethod;
  code: Code;
  message: string;
  remaining: number;
}

export class DepotStandIn {
  readonly calls: RecordedCall[] = [];
  readonly builds = new Map<string, StandInBuild>();
  /** Registry contents per Depot project. */
  readonly images = new Map<string, Image[]>();
  /** Projects by id; ListImages/CreateBuild on any other project answer NotFound. */
  readonly projects = new Map<string, Project>();
  private readonly faults: Fault[] = [];
  private readonly stalls = new Map<DepotMethod, number>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private buildCounter = 0;
  private projectCounter = 0;

  private constructor(
    private readonly server: http2.Http2Server,
    readonly url: string,
    private readonly organizationToken: string,
  ) {
    server.on("session", (session) => {
      this.sessions.add(session);
      session.once("close", () => this.sessions.delete(session));
    });
  }

  static async start(options: { organizationToken: string; projects: string[] }): Promise<DepotStandIn> {
    const server = http2.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const standIn = new DepotStandIn(server, `http://127.0.0.1:${port}`, options.organizationToken);
    for (const project of options.projects) standIn.addProject(project, project);
    const adapter = connectNodeAdapter({ routes: (router) => standIn.routes(router) });
    server.on("request", (req, res) => {
      if (req.url.startsWith("/_standin/")) void standIn.control(req, res);
      else adapter(req, res);
    });
    return standIn;
  }

  /** The next `times` calls of `method` fail with `code`. */
  failNext(method: DepotMethod, code: Code, times = 1, message = `stand-in: injected ${Code[code]}`): void {
    this.faults.push({ method, code, message, remaining: times });
  }

  /** Every call of `method` waits `ms` before it answers (0 to stop). */
  stall(method: DepotMethod, ms: number): void {
    if (ms > 0) this.stalls.set(method, ms);
    else this.stalls.delete(method);
  }

  callsOf(method: DepotMethod): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** A build as an earlier attempt (another process) would have left it: created, running. */
  createRunningBuild(projectId: string): StandInBuild {
    return this.newBuild(projectId);
  }

  /** What `depot build` reports when it ends; with success the image is pushed under `tag`. */
  finishBuild(
    buildId: string,
    outcome: { success: true; tag: string; digest: string } | { success: false; error: string },
  ): void {
    const build = this.builds.get(buildId);
    if (!build) throw new Error(`stand-in: no build ${buildId}`);
    if (outcome.success) {
      build.status = Build_Status.SUCCESS;
      const images = this.images.get(build.projectId) ?? [];
      images.push(
        create(ImageSchema, { tag: outcome.tag, digest: outcome.digest, pushedAt: timestampNow(), sizeBytes: 1234n }),
      );
      this.images.set(build.projectId, images);
    } else {
      build.status = Build_Status.FAILED;
      build.finishedWith = { error: outcome.error };
    }
  }

  async close(): Promise<void> {
    for (const session of this.sessions) session.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  static digestFor(buildId: string): string {
    return `sha256:${createHash("sha256").update(buildId).digest("hex")}`;
  }

  addProject(projectId: string, name: string, regionId = "us-east-1"): Project {
    // Creation times strictly increase, so "the oldest project of a name" is well defined.
    const createdAt = { seconds: 1_700_000_000n + BigInt(++this.projectCounter), nanos: 0 };
    const project = create(ProjectSchema, { projectId, organizationId: "org-stand-in", name, regionId, createdAt });
    this.projects.set(projectId, project);
    return project;
  }

  private newBuild(projectId: string): StandInBuild {
    const build: StandInBuild = {
      buildId: `bld${String(++this.buildCounter).padStart(4, "0")}${randomBytes(3).toString("hex")}`,
      projectId,
      buildToken: `build-token-${randomBytes(8).toString("hex")}`,
      status: Build_Status.RUNNING,
    };
    this.builds.set(build.buildId, build);
    return build;
  }

  private routes(router: ConnectRouter): void {
    router.service(BuildService, {
      createBuild: async (request, context) => {
        await this.admit("CreateBuild", CreateBuildRequestSchema, request, context);
        this.requireProject(request.projectId);
        const build = this.newBuild(request.projectId);
        return create(CreateBuildResponseSchema, { buildId: build.buildId, buildToken: build.buildToken });
      },
      finishBuild: async (request, context) => {
        await this.admit("FinishBuild", FinishBuildRequestSchema, request, context);
        const build = this.builds.get(request.buildId);
        if (!build) throw new ConnectError(`build ${request.buildId} not found`, Code.NotFound);
        if (build.status === Build_Status.RUNNING) {
          build.status = request.result.case === "success" ? Build_Status.SUCCESS : Build_Status.ERROR;
          if (request.result.case === "error") build.finishedWith = { error: request.result.value.error };
        }
        return create(FinishBuildResponseSchema, {});
      },
    });
    router.service(RegistryService, {
      listImages: async (request, context) => {
        await this.admit("ListImages", ListImagesRequestSchema, request, context);
        this.requireProject(request.projectId);
        // Pages of two, so the backend's paging is exercised.
        const all = this.images.get(request.projectId) ?? [];
        const start = request.pageToken ? Number(request.pageToken) : 0;
        const size = Math.min(request.pageSize ?? 2, 2);
        const next = start + size < all.length ? String(start + size) : undefined;
        return create(ListImagesResponseSchema, {
          images: all.slice(start, start + size),
          ...(next ? { nextPageToken: next } : {}),
        });
      },
    });
    router.service(ProjectService, {
      listProjects: async (request, context) => {
        await this.admit("ListProjects", ListProjectsRequestSchema, request, context);
        return create(ListProjectsResponseSchema, { projects: [...this.projects.values()] });
      },
      createProject: async (request, context) => {
        await this.admit("CreateProject", CreateProjectRequestSchema, request, context);
        if (!request.name || !request.regionId)
          throw new ConnectError("name and region_id are required", Code.InvalidArgument);
        // Like Depot, names are not unique: a second create makes a second project.
        const project = this.addProject(`p${randomBytes(5).toString("hex")}`, request.name, request.regionId);
        return create(CreateProjectResponseSchema, { project });
      },
    });
    router.service(CoreBuildService, {
      getBuild: async (request, context) => {
        await this.admit("GetBuild", GetBuildRequestSchema, request, context);
        const build = this.builds.get(request.buildId);
        if (!build) throw new ConnectError(`build ${request.buildId} not found`, Code.NotFound);
        return create(GetBuildResponseSchema, {
          build: create(BuildSchema, { buildId: build.buildId, status: build.status, createdAt: timestampNow() }),
        });
      },
    });
  }

  /** Records the call, then applies auth, injected faults and stalls, in that order. */
  private async admit<Desc extends DescMessage>(
    method: DepotMethod,
    schema: Desc,
    request: MessageShape<Desc>,
    context: HandlerContext,
  ): Promise<void> {
    const authorization = context.requestHeader.get("authorization") ?? undefined;
    this.calls.push({ method, authorization, request: toJson(schema, request) });
    if (authorization !== `Bearer ${this.organizationToken}`) {
      throw new ConnectError("invalid or missing organization token", Code.Unauthenticated);
    }
    const fault = this.faults.find((candidate) => candidate.method === method && candidate.remaining > 0);
    if (fault) {
      fault.remaining--;
      throw new ConnectError(fault.message, fault.code);
    }
    const stall = this.stalls.get(method);
    if (stall) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, stall);
        context.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private requireProject(projectId: string): void {
    if (!this.projects.has(projectId)) throw new ConnectError(`project ${projectId} not found`, Code.NotFound);
  }

  /** The fake CLI's report: POST /_standin/builds/<id>/finish {success, tag?, digest?, error?}. */
  private async control(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): Promise<void> {
    const match = /^\/_standin\/builds\/([^/]+)\/finish$/.exec(req.url);
    const build = match?.[1] ? this.builds.get(match[1]) : undefined;
    if (req.method !== "POST" || !build) return void res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${build.buildToken}`)
      return void res.writeHead(401).end("the CLI must use the build token");
    let body = "";
    for await (const chunk of req) body += String(chunk);
    const report = JSON.parse(body) as { success: boolean; tag?: string; digest?: string; error?: string };
    if (report.success && report.tag && report.digest)
      this.finishBuild(build.buildId, { success: true, tag: report.tag, digest: report.digest });
    else this.finishBuild(build.buildId, { success: false, error: report.error ?? "failed" });
    res.writeHead(204).end();
  }
}
