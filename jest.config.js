// Jest in CommonJS mode with @swc/jest. ESM-only packages (@kubernetes/client-node and its
// ESM-only dependencies) are compiled to CJS: Jest loads ESM through require() natively only
// on Node >= 24.9, and this machine has Node 20.
const swc = (syntax) => ["@swc/jest", { jsc: { parser: { syntax }, target: "es2022" }, module: { type: "commonjs" } }];
const esmOnly = ["@kubernetes/client-node", "openid-client", "oauth4webapi", "jose"];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/packages", "<rootDir>/services", "<rootDir>/test", "<rootDir>/scripts"],
  testMatch: ["**/*.test.ts"],
  // test/kube needs the real control plane that `pnpm test:kube` starts (it runs them).
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/kube/"],
  transform: { "^.+\\.(ts|mts|cts)$": swc("typescript"), "^.+\\.(js|mjs)$": swc("ecmascript") },
  // pnpm layout: node_modules/.pnpm/<pkg>@<ver>/node_modules/<pkg>/...
  transformIgnorePatterns: [`node_modules/(?!\\.pnpm|${esmOnly.join("|")})`],
  // The generated Prisma client imports "./x.js" for its .ts files.
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  testTimeout: 60_000,
  // Cross-process tests spawn servers; two workers match the machine's two cores.
  maxWorkers: 2,
};
