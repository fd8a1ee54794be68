// Mocha reporter: the spec reporter's output, plus the counts written to $KEYWARD_TEST_STATS (a JSON file)
// so scripts/test.mjs can end `npm test` with one `tests: N passed, N failed, N skipped` line. Run on its
// own (`npx mocha`), it prints that line itself. CommonJS because mocha loads reporters with require().
"use strict";
const fs = require("node:fs");
const Mocha = require("mocha");

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once("end", () => {
      const stats = { passed: runner.stats.passes, failed: runner.stats.failures, skipped: runner.stats.pending };
      const file = process.env.KEYWARD_TEST_STATS;
      if (file) fs.writeFileSync(file, JSON.stringify(stats));
      else console.log(`tests: ${stats.passed} passed, ${stats.failed} failed, ${stats.skipped} skipped`);
    });
  }
}

module.exports = SummaryReporter;
