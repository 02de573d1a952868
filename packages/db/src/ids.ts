import { typeid } from "typeid-js";

/**
 * Prefixes of hydra's ids. Every id is a TypeID: `<prefix>_<UUIDv7 in base32>`, so ids sort
 * by creation time and say what they name.
 */
export const ID_PREFIX = {
  workspace: "ws",
  project: "prj",
  environment: "env",
  deployment: "dep",
  domain: "dom",
  sentinel: "snt",
  routingOperation: "rop",
} as const;

export type IdKind = keyof typeof ID_PREFIX;

export function newId(kind: IdKind): string {
  return typeid(ID_PREFIX[kind]).toString();
}

const TYPEID_SUFFIX = /^[0-7][0-9a-hjkmnp-tv-z]{25}$/;

/** True when `id` is a well-formed id of this kind (it may still not exist). */
export function isId(kind: IdKind, id: string): boolean {
  const prefix = `${ID_PREFIX[kind]}_`;
  return id.startsWith(prefix) && TYPEID_SUFFIX.test(id.slice(prefix.length));
}
