import { hostnameProblem, MAX_IDEMPOTENCY_KEY_LENGTH } from "@hydra/routing";
import type { RequestRules } from "@hydra/server-kit";
import { z } from "zod";

const hostname = z.string().superRefine((value, ctx) => {
  const problem = hostnameProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: `"${value.slice(0, 100)}" ${problem}` });
});

const port = z.number().int().max(65_535, "is not a TCP port");

/** `host:port`, or empty (reachable in-cluster only). */
const hostAndPort = z.literal("").or(
  z.string().superRefine((value, ctx) => {
    const match = /^(.+):(\d{1,5})$/.exec(value);
    const problem = !match
      ? "is not host:port"
      : Number(match[2]) > 65_535
        ? "has no valid port"
        : hostnameProblem(match[1]!.replace(/^\[(.*)\]$/, "$1"));
    if (problem) ctx.addIssue({ code: "custom", message: `"${value.slice(0, 100)}" ${problem}` });
  }),
);

/** routing-svc's field rules beyond the defaults every string gets (no NUL, at most 4 KiB). */
export const ROUTING_REQUEST_RULES: RequestRules = {
  fields: {
    "hydra.v1.DomainToAssign.name": { schema: hostname },
    "hydra.v1.SentinelTarget.service_host": { schema: z.literal("").or(hostname) },
    "hydra.v1.SentinelTarget.external_address": { schema: hostAndPort },
    "hydra.v1.SentinelTarget.service_port": { schema: port },
    "hydra.v1.GatewayConfig.port": { schema: port },
    "hydra.v1.AssignDomainsRequest.idempotency_key": { maxBytes: MAX_IDEMPOTENCY_KEY_LENGTH },
    "hydra.v1.SwitchDomainsRequest.idempotency_key": { maxBytes: MAX_IDEMPOTENCY_KEY_LENGTH },
  },
};
