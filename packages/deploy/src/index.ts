export * from "./preconditions";
export * from "./routes";
