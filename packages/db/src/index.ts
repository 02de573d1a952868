export * from "./ids";
export * from "./database-url";
export * from "./pool";
export * from "./queryable";
export * from "./prisma";
export * from "./migrate";
export * from "./listener";
export * from "./errors";
