import { isIP } from "node:net";

/** Longest hostname DNS can carry in text form (RFC 1035 §2.3.4, without the trailing dot). */
export const MAX_HOSTNAME_LENGTH = 253;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Why `name` is not an acceptable domain name, or undefined when it is. Domains are stored in
 * canonical form, so this refuses rather than repairs: RFC 1123 labels (letters, digits,
 * inner hyphens, 1–63 characters), lower-case only, at most 253 characters, no port and no
 * trailing dot. IP literals are accepted as they are (local development uses `127.0.0.1`).
 */
export function hostnameProblem(name: string): string | undefined {
  if (name.length === 0) return "is empty";
  if (name.length > MAX_HOSTNAME_LENGTH) return `is ${name.length} characters long (at most ${MAX_HOSTNAME_LENGTH})`;
  if (isIP(name) !== 0) return undefined;
  if (name !== name.toLowerCase()) return "must be lower-case";
  if (name.endsWith(".")) return "must not end with a dot";
  for (const label of name.split(".")) {
    if (label.length === 0) return "has an empty label";
    if (label.length > 63) return `has a label of ${label.length} characters (at most 63)`;
    if (!LABEL.test(label)) return `has an invalid label "${label}" (RFC 1123: letters, digits and inner hyphens)`;
  }
  return undefined;
}

export function isValidHostname(name: string): boolean {
  return hostnameProblem(name) === undefined;
}

/** Lower-cases and removes a port (`host:80`, `[::1]:80`) and a trailing dot. */
export function canonicalHost(raw: string): string {
  let host = raw.trim().toLowerCase();
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    host = end === -1 ? host.slice(1) : host.slice(1, end);
  } else {
    // Exactly one colon: host:port. More than one is a bare IPv6 literal. (No split: a snapshot
    // checks every one of its 100,000 hostnames.)
    const colon = host.indexOf(":");
    if (colon !== -1 && host.indexOf(":", colon + 1) === -1) host = host.slice(0, colon);
  }
  if (host.endsWith(".")) host = host.slice(0, -1);
  return host;
}

function isUnder(host: string, apex: string): boolean {
  return host === apex || host.endsWith(`.${apex}`);
}

function isLoopbackIPv6(host: string): boolean {
  if (isIP(host) !== 6) return false;
  // Expand "::" and compare the numeric groups; "::1" and "0:0:0:0:0:0:0:1" are the same address.
  const [head = "", tail = ""] = host.includes("::") ? host.split("::") : [host, ""];
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const zeros = Array<string>(8 - headGroups.length - tailGroups.length).fill("0");
  const groups = [...headGroups, ...(host.includes("::") ? zeros : []), ...tailGroups].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1;
}

/**
 * Local development hostnames get a domain row but no gateway config: `localhost` and
 * `*.localhost`, 127.0.0.0/8, `::1`, `*.local`, `*.test` — after lower-casing and removing a
 * port and a trailing dot. A hostname equal to or under `defaultDomain` (HYDRA_DEFAULT_DOMAIN)
 * is never local, so a development apex such as `hydra.test` still gets gateway configs.
 */
export function isLocalHostname(raw: string, defaultDomain?: string): boolean {
  const host = canonicalHost(raw);
  const apex = defaultDomain ? canonicalHost(defaultDomain) : "";
  if (apex && isUnder(host, apex)) return false;
  if (isUnder(host, "localhost") || isUnder(host, "local") || isUnder(host, "test")) return true;
  if (isIP(host) === 4) return host.split(".")[0] === "127";
  return isLoopbackIPv6(host);
}
