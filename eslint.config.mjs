// Lint enforces the two rules tsc does not: no `any`, no unused variables.
// No type-aware rules, so it needs no TypeScript program and stays fast.
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    // Generated code (buf: gen/, test/depot/gen/; prisma: packages/db/src/generated/) is not ours to lint.
    ignores: ["**/node_modules/**", "**/dist/**", "**/gen/**", "packages/db/src/generated/**"],
  },
  {
    // Only two rules are on, so directives written for other rules are not "unused".
    linterOptions: { reportUnusedDisableDirectives: "off" },
  },
  {
    files: ["**/*.{ts,mts,cts,js,mjs,cjs}"],
    languageOptions: {
      parser: tseslint.parser,
    },
    plugins: {
      "@typescript-eslint": tseslint.plugin,
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          args: "after-used",
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
        },
      ],
    },
  },
);
