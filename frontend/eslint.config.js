// Flat config. Architecture (bulletproof-react): shared (src/components, src/lib) -> features
// -> app. A feature never imports another feature, shared code never imports a feature or the
// app; `no-restricted-imports` enforces it with one block per layer and per feature.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import { readdirSync } from "node:fs";
import tseslint from "typescript-eslint";

const features = readdirSync(new URL("./src/features", import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

const featureBlocks = features.map((name) => ({
  files: [`src/features/${name}/**/*.{ts,tsx}`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            group: ["@/features/*", "!@/features/" + name, "!@/features/" + name + "/**"],
            message: "A feature must not import another feature; compose them in src/app.",
          },
          { group: ["../../*"], message: "Import shared code through '@/'." },
          { group: ["@/app", "@/app/**"], message: "Features must not import the app layer." },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ["dist", "node_modules", "playwright-report", "test-results", "src/lib/api/schema.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ["**/*.js"], languageOptions: { globals: globals.node } },
  // Benchmarks run in Node and evaluate code in the page.
  { files: ["bench/**/*.mjs"], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
  {
    files: ["**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/components/**/*.{ts,tsx}", "src/lib/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@/features", "@/features/**", "@/app", "@/app/**"], message: "Shared code must not import features or the app." },
          ],
        },
      ],
    },
  },
  ...featureBlocks,
);
