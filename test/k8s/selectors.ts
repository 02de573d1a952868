/** Label and field selectors, as the API server parses them. */
import { errors } from "./status";

type Op = "=" | "!=" | "in" | "notin" | "exists" | "!";
interface Requirement {
  key: string;
  op: Op;
  values: string[];
}

export type Selector = (labels: Record<string, string> | undefined) => boolean;

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function parseRequirement(text: string): Requirement {
  let m: RegExpMatchArray | null;
  if ((m = text.match(/^!\s*(\S+)$/))) return { key: m[1]!, op: "!", values: [] };
  if ((m = text.match(/^(\S+?)\s+(in|notin)\s+\(([^)]*)\)$/))) {
    return { key: m[1]!, op: m[2] as Op, values: m[3]!.split(",").map((v) => v.trim()) };
  }
  if ((m = text.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/)))
    return { key: m[1]!, op: m[2] === "!=" ? "!=" : "=", values: [m[3]!] };
  if ((m = text.match(/^(\S+)$/))) return { key: m[1]!, op: "exists", values: [] };
  throw errors.badRequest(`unable to parse requirement: found '${text}', expected: in, notin, =, ==, !=, gt, lt`);
}

export function parseLabelSelector(text: string | null | undefined): Selector {
  if (!text) return () => true;
  const requirements = splitTopLevel(text).map(parseRequirement);
  for (const r of requirements) {
    if (!KEY.test(r.key)) throw errors.badRequest(`unable to parse requirement: invalid label key "${r.key}"`);
  }
  return (labels) =>
    requirements.every((r) => {
      const value = labels?.[r.key];
      switch (r.op) {
        case "=":
          return value === r.values[0];
        case "!=":
          return value !== r.values[0];
        case "in":
          return value !== undefined && r.values.includes(value);
        case "notin":
          return value === undefined || !r.values.includes(value);
        case "exists":
          return value !== undefined;
        case "!":
          return value === undefined;
      }
    });
}

/** `matchLabels` of a LabelSelector as a predicate (matchExpressions included). */
export function labelSelectorObject(
  selector:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
      }
    | undefined,
): Selector {
  const labels = Object.entries(selector?.matchLabels ?? {});
  const expressions = selector?.matchExpressions ?? [];
  return (have) =>
    labels.every(([k, v]) => have?.[k] === v) &&
    expressions.every((e) => {
      const value = have?.[e.key];
      switch (e.operator) {
        case "In":
          return value !== undefined && (e.values ?? []).includes(value);
        case "NotIn":
          return value === undefined || !(e.values ?? []).includes(value);
        case "Exists":
          return value !== undefined;
        case "DoesNotExist":
          return value === undefined;
        default:
          return false;
      }
    });
}

/** Field selectors: `metadata.name=x,metadata.namespace!=y` (and any dotted path of the object). */
export function parseFieldSelector(text: string | null | undefined): (object: Record<string, unknown>) => boolean {
  if (!text) return () => true;
  const terms = text.split(",").map((t) => {
    const m = t.trim().match(/^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw errors.badRequest(`invalid selector: '${text}'; can't understand '${t}'`);
    return { path: m[1]!.split("."), negate: m[2] === "!=", value: m[3]! };
  });
  return (object) =>
    terms.every((t) => {
      let v: unknown = object;
      for (const p of t.path) v = (v as Record<string, unknown> | null | undefined)?.[p];
      const equal = String(v ?? "") === t.value;
      return t.negate ? !equal : equal;
    });
}
