// Sum vitest JSON reports into the one line CI reads: "N passed, N failed[, N skipped]".
import fs from 'node:fs';
import path from 'node:path';
const dir = process.argv[2];
let passed = 0, failed = 0, skipped = 0, files = 0;
const expected = ['embedded-main.json', 'postgres-main.json'];
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const r = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  files++;
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  if (r.numFailedTestSuites && !r.numFailedTests) failed += r.numFailedTestSuites;
  console.log(`${f}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
}
for (const e of expected) if (!fs.existsSync(path.join(dir, e))) { console.log(`missing report ${e} (the run crashed)`); failed++; }
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
