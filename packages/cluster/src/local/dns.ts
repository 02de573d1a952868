import type { AddressInfo } from "node:net";
import DNS from "dns2";

/** What a name resolves to: addresses, or null when no such name exists (NXDOMAIN). */
export type ResolveName = (name: string) => string[] | null;

const NXDOMAIN = 3;

/**
 * The local cluster's DNS (what CoreDNS is on a cluster): answers A queries for Service
 * names with the addresses `resolve` gives, TTL 1 s, and NXDOMAIN for unknown names. Packet
 * handling is the `dns2` library's.
 */
export class ClusterDns {
  private readonly server: DNS.UDPServer;

  constructor(resolve: ResolveName) {
    this.server = DNS.createUDPServer((request, send) => {
      const response = DNS.Packet.createResponseFromRequest(request);
      response.header.aa = 1;
      for (const question of request.questions) {
        const name = question.name.toLowerCase().replace(/\.$/, "");
        const addresses = resolve(name);
        if (addresses === null) {
          response.header.rcode = NXDOMAIN;
          continue;
        }
        if (question.type !== DNS.Packet.TYPE.A) continue; // the name exists, with no record of that type
        for (const address of addresses) {
          response.answers.push({
            name: question.name,
            type: DNS.Packet.TYPE.A,
            class: DNS.Packet.CLASS.IN,
            ttl: 1,
            address,
          } as DNS.Packet.Resource);
        }
      }
      send(response);
    });
  }

  /** Listens on `host:port` (UDP; port 0 picks one) and returns the address. */
  async listen(host: string, port = 0): Promise<{ host: string; port: number }> {
    await this.server.listen(port, host);
    const address = this.server.address() as AddressInfo;
    return { host: address.address, port: address.port };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
