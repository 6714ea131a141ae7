// Writes jest's pass/fail counts to a file for scripts/run-tests.js, which prints the closing line.
const fs = require('fs')

class CountReporter {
  onRunComplete(_contexts, results) {
    const out = process.env.MINI_JEST_COUNTS
    if (!out) return
    const failedSuites = results.numFailedTestSuites - results.testResults.filter((r) => r.numFailingTests > 0).length
    fs.writeFileSync(out, JSON.stringify({ passed: results.numPassedTests, failed: results.numFailedTests + Math.max(0, failedSuites) }))
  }
}

module.exports = CountReporter
