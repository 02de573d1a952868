// A stand-in sentinel target: a real HTTP server process that answers every request with who
// it is and what it received (the deployment id header the edge set, the Host).
// Usage: node --require tsx/cjs echo-server.ts <name> <host> <port>
import http from "node:http";

const [name = "echo", host = "127.0.0.1", port = "0"] = process.argv.slice(2);
const server = http.createServer((request, response) => {
  const body = JSON.stringify({
    name,
    deploymentId: request.headers["x-hydra-deployment-id"] ?? null,
    host: request.headers.host ?? null,
    path: request.url,
  });
  response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  response.end(body);
});
server.keepAliveTimeout = 30_000;
server.listen(Number(port), host, () => {
  const address = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ msg: "listening", url: `http://${host}:${address.port}` })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
