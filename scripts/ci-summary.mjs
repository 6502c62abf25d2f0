// Prints CI's closing line "N passed, N failed" from vitest's JSON report, counting as a failure
// every failed test, every file or suite that failed without a failed test (a file that did not
// load, a failed beforeAll/afterAll), an unhandled error, a failed lint and a test command that
// failed before vitest wrote a report — and names each failure above the line.
// Usage: LINT_FAILED=0|1 TEST_RC=<npm test exit code> node scripts/ci-summary.mjs out/vitest.json
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const reportPath = process.argv[2] ?? 'out/vitest.json';
const testRc = Number(process.env.TEST_RC ?? '0');
const failures = [];
let passed = 0;
let skipped = 0;

if (process.env.LINT_FAILED === '1') failures.push('npm run lint failed');

let report = null;
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'));
} catch {
  failures.push(`npm test exited ${testRc} without a test report (type check or setup failed; see above)`);
}

if (report) {
  passed = report.numPassedTests;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (const file of report.testResults) {
    const name = relative(process.cwd(), file.name);
    const failedTests = file.assertionResults.filter((t) => t.status === 'failed');
    for (const test of failedTests) failures.push(`${name} > ${test.fullName}`);
    if (file.status === 'failed' && failedTests.length === 0) {
      failures.push(
        `${name}: ${file.message || 'a hook (beforeAll/afterAll) or the file itself failed; see its output above'}`,
      );
    }
  }
  if (failures.length === 0 && (!report.success || testRc !== 0)) {
    failures.push(`npm test exited ${testRc} (an unhandled error or a failed suite; see vitest's output above)`);
  }
}

for (const failure of failures) console.log(`FAILED: ${failure}`);
console.log(`${passed} passed, ${failures.length} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failures.length > 0 ? 1 : 0);
