import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { z } from "zod";

/**
 * Edge validation of every request, driven by the proto descriptors: each string anywhere in
 * a request (nested messages, lists, map keys and values, oneof cases) is refused if it holds
 * a NUL (Postgres text cannot store one) or is longer than its byte limit; fields with a rule
 * of their own (a zod schema, keyed by the field's full proto name) must pass it too. A refusal
 * is `invalid_argument` naming the field path, before any handler runs, so nothing is written.
 */
export interface FieldRule {
  /** Checked against the field's value (each element of a list, each value of a map). */
  schema?: z.ZodType;
  /** Replaces the default string limit for this field. */
  maxBytes?: number;
}

export interface RequestRules {
  /** Keyed by full field name, e.g. "ctrl.v1.GitCommit.timestamp_ms". */
  fields: Record<string, FieldRule>;
  /** Limit of every string without a maxBytes of its own. Default 4 KiB. */
  maxStringBytes?: number;
}

export const DEFAULT_MAX_STRING_BYTES = 4096;

export interface FieldViolation {
  /** Proto field path, e.g. `git_commit.commit_message` or `domains[3].name`. */
  field: string;
  problem: string;
}

/** Error details as data: which field, and why (also in the message, for people). */
export class InvalidRequestError extends ConnectError {
  constructor(readonly violation: FieldViolation) {
    super(`${violation.field}: ${violation.problem}`, Code.InvalidArgument);
  }
}

function stringProblem(value: string, maxBytes: number): string | undefined {
  if (value.includes("\u0000")) return "must not contain NUL characters";
  const bytes = Buffer.byteLength(value);
  if (bytes > maxBytes) return `is ${bytes} bytes long (at most ${maxBytes})`;
  return undefined;
}

function leafProblem(rule: FieldRule | undefined, value: unknown, rules: RequestRules): string | undefined {
  if (typeof value === "string") {
    const problem = stringProblem(value, rule?.maxBytes ?? rules.maxStringBytes ?? DEFAULT_MAX_STRING_BYTES);
    if (problem) return problem;
  }
  if (!rule?.schema) return undefined;
  const result = rule.schema.safeParse(value);
  return result.success ? undefined : result.error.issues[0]?.message;
}

type Plain = Record<string, unknown>;

function fieldValue(field: DescField, message: Plain): unknown {
  if (!field.oneof) return message[field.localName];
  const chosen = message[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
  return chosen?.case === field.localName ? chosen.value : undefined;
}

/** The message type of a message field, or of a list's elements or a map's values. */
function messageOf(field: DescField): DescMessage | undefined {
  switch (field.fieldKind) {
    case "message":
      return field.message;
    case "list":
      return field.listKind === "message" ? field.message : undefined;
    case "map":
      return field.mapKind === "message" ? field.message : undefined;
    default:
      return undefined;
  }
}

/** The first violation in `message` (a protobuf-es message of `desc`), or undefined. */
export function requestViolation(
  desc: DescMessage,
  message: Plain,
  rules: RequestRules,
  path = "",
): FieldViolation | undefined {
  for (const field of desc.fields) {
    const value = fieldValue(field, message);
    if (value === undefined || value === null) continue;
    const name = path ? `${path}.${field.name}` : field.name;
    const rule = rules.fields[`${desc.typeName}.${field.name}`];
    const nested = messageOf(field);
    const check = (item: unknown, at: string): FieldViolation | undefined => {
      if (nested) return requestViolation(nested, item as Plain, rules, at);
      const problem = leafProblem(rule, item, rules);
      return problem ? { field: at, problem } : undefined;
    };
    let found: FieldViolation | undefined;
    if (field.fieldKind === "list") {
      (value as unknown[]).some((item, i) => (found = check(item, `${name}[${i}]`)) !== undefined);
    } else if (field.fieldKind === "map") {
      Object.entries(value as Plain).some(([key, item]) => {
        const keyProblem = stringProblem(key, rules.maxStringBytes ?? DEFAULT_MAX_STRING_BYTES);
        found = keyProblem
          ? { field: `${name} key`, problem: keyProblem }
          : check(item, `${name}[${JSON.stringify(key)}]`);
        return found !== undefined;
      });
    } else {
      found = check(value, name);
    }
    if (found) return found;
  }
  return undefined;
}

/**
 * Refuses a request that breaks `rules` before its handler runs. Server-streaming calls arrive
 * as streams of one message on the server side: each message is checked as the handler reads it.
 */
export function validateRequests(rules: RequestRules): Interceptor {
  const check = (desc: DescMessage, message: unknown) => {
    const violation = requestViolation(desc, message as Plain, rules);
    if (violation) throw new InvalidRequestError(violation);
  };
  return (next) => async (req) => {
    if (!req.stream) {
      check(req.method.input, req.message);
      return next(req);
    }
    const messages = req.message;
    async function* checked() {
      for await (const message of messages) {
        check(req.method.input, message);
        yield message;
      }
    }
    return next({ ...req, message: checked() });
  };
}

const INT64_MAX = 9_223_372_036_854_775_807n;

/** A non-negative decimal that fits a Postgres bigint (ids and cursors sent as strings). */
export const int64Decimal = z
  .string()
  .regex(/^\d{1,19}$/, "must be a decimal number")
  // Zod runs this check even when the regex failed: BigInt must only see digits.
  .refine((value) => !/^\d+$/.test(value) || BigInt(value) <= INT64_MAX, "is beyond the largest bigint");
