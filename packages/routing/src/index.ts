export * from "./errors";
export * from "./hostname";
export * from "./sticky";
export * from "./lock";
export * from "./core";
export * from "./rename-domains";
