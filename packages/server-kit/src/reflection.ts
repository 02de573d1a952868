import { create, fromBinary, toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  file_grpc_health_v1_health,
  file_grpc_reflection_v1_reflection,
  file_grpc_reflection_v1alpha_reflection,
} from "@hydra/proto/files";
import { reflectionV1, reflectionV1alpha } from "@hydra/proto/grpc";

/**
 * gRPC server reflection, v1 and v1alpha (no npm package provides it for Connect v2), so
 * `buf curl` and grpcurl work without a local schema. Answers list_services,
 * file_by_filename and file_containing_symbol with the file and all it imports.
 */
export class ReflectionIndex {
  private readonly filesByName = new Map<string, DescFile>();
  private readonly fileBySymbol = new Map<string, DescFile>();
  readonly serviceNames: string[] = [];

  /** `files`: the server's own services; health and reflection themselves are always served. */
  constructor(files: DescFile[]) {
    const standard = [
      file_grpc_health_v1_health,
      file_grpc_reflection_v1_reflection,
      file_grpc_reflection_v1alpha_reflection,
    ];
    for (const file of [...files, ...standard]) this.add(file, true);
  }

  private add(file: DescFile, exposeServices: boolean): void {
    if (this.filesByName.has(file.proto.name)) return;
    this.filesByName.set(file.proto.name, file);
    for (const dep of file.dependencies) this.add(dep, false);
    for (const message of file.messages) this.fileBySymbol.set(message.typeName, file);
    for (const nested of file.messages.flatMap((m) => m.nestedMessages)) this.fileBySymbol.set(nested.typeName, file);
    for (const e of file.enums) this.fileBySymbol.set(e.typeName, file);
    for (const service of file.services) {
      this.fileBySymbol.set(service.typeName, file);
      for (const method of service.methods) this.fileBySymbol.set(`${service.typeName}.${method.name}`, file);
      if (exposeServices) this.serviceNames.push(service.typeName);
    }
  }

  /** The file and its transitive imports, serialized, dependencies included once. */
  private withDependencies(file: DescFile): Uint8Array[] {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile) => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      out.push(toBinary(FileDescriptorProtoSchema, f.proto));
      f.dependencies.forEach(visit);
    };
    visit(file);
    return out;
  }

  answer(request: reflectionV1.ServerReflectionRequest): ReflectionAnswer {
    const r = request.messageRequest;
    switch (r.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: this.serviceNames.map((name) => ({ name })) } };
      case "fileByFilename":
      case "fileContainingSymbol": {
        const file = r.case === "fileByFilename" ? this.filesByName.get(r.value) : this.fileBySymbol.get(r.value);
        if (!file) return notFound(`${r.case === "fileByFilename" ? "file" : "symbol"} ${r.value} not found`);
        return { case: "fileDescriptorResponse", value: { fileDescriptorProto: this.withDependencies(file) } };
      }
      case "allExtensionNumbersOfType":
        // Our files declare no extensions.
        return { case: "allExtensionNumbersResponse", value: { baseTypeName: r.value, extensionNumber: [] } };
      default:
        return notFound("extensions are not supported");
    }
  }

  register(router: ConnectRouter): void {
    router.service(reflectionV1.ServerReflection, {
      serverReflectionInfo: (requests) => this.stream(requests),
    });
    // v1alpha has the same messages and field numbers: translate through the wire format.
    router.service(reflectionV1alpha.ServerReflection, {
      serverReflectionInfo: (requests) => this.streamV1alpha(requests),
    });
  }

  private respond(request: reflectionV1.ServerReflectionRequest): reflectionV1.ServerReflectionResponse {
    return create(reflectionV1.ServerReflectionResponseSchema, {
      validHost: request.host,
      originalRequest: request,
      messageResponse: this.answer(request),
    });
  }

  private async *stream(requests: AsyncIterable<reflectionV1.ServerReflectionRequest>) {
    for await (const request of requests) yield this.respond(request);
  }

  private async *streamV1alpha(requests: AsyncIterable<reflectionV1alpha.ServerReflectionRequest>) {
    for await (const alpha of requests) {
      const request = fromBinary(
        reflectionV1.ServerReflectionRequestSchema,
        toBinary(reflectionV1alpha.ServerReflectionRequestSchema, alpha),
      );
      const response = toBinary(reflectionV1.ServerReflectionResponseSchema, this.respond(request));
      yield fromBinary(reflectionV1alpha.ServerReflectionResponseSchema, response);
    }
  }
}

type ReflectionAnswer =
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

function notFound(message: string): ReflectionAnswer {
  // gRPC status code 5 NOT_FOUND, as the reference servers answer.
  return { case: "errorResponse", value: { errorCode: 5, errorMessage: message } };
}
