export * from "./branch";
export * from "./project-store";
export * from "./regions";
export * from "./slug";
