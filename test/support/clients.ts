import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";

/**
 * Connect clients for tests, over real HTTP/2. Each test file makes one `ClientFactory` and
 * closes it in afterAll: idle HTTP/2 sessions otherwise keep Jest from exiting.
 */
export type Protocol = "grpc" | "connect";

export class ClientFactory {
  private readonly sessions: Http2SessionManager[] = [];

  client<S extends DescService>(
    service: S,
    baseUrl: string,
    options: { protocol?: Protocol; token?: string } = {},
  ): Client<S> {
    const session = new Http2SessionManager(baseUrl);
    this.sessions.push(session);
    const interceptors: Interceptor[] = [];
    if (options.token !== undefined) {
      const token = options.token;
      interceptors.push((next) => (req) => {
        req.header.set("authorization", `Bearer ${token}`);
        return next(req);
      });
    }
    const transportOptions = { baseUrl, httpVersion: "2" as const, sessionManager: session, interceptors };
    const transport =
      options.protocol === "connect" ? createConnectTransport(transportOptions) : createGrpcTransport(transportOptions);
    return createClient(service, transport);
  }

  close(): void {
    for (const session of this.sessions) session.abort();
    this.sessions.length = 0;
  }
}
