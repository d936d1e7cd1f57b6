// Run the xlwings Lite checks in real Pyodide under node (called by scripts/test-lite.sh).
//
//   node tests/lite/run.mjs PYODIDE_DIR BUNDLE_DIR CALLS_JSON TEMPLATES_DIR WHEEL_DIR...
//
// PYODIDE_DIR is node_modules/pyodide (the npm package: interpreter and standard library, no packages;
// Pyodide's package CDN is not used). Every *.whl in the WHEEL_DIRs and the lxbz-xl wheel in BUNDLE_DIR
// are unpacked into site-packages with pyodide.unpackArchive (which also loads a wheel's wasm libraries,
// e.g. pydantic-core's). BUNDLE_DIR/main.py is the add-in's main.py; tests/lite/lite_check.py does the
// checks. Prints one line per failure, then a pytest-style "N passed, M failed" line; exits 1 on failure.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const [pyodideDir, bundleDir, callsJson, templatesDir, ...wheelDirs] = process.argv.slice(2);
if (!pyodideDir || !bundleDir || !callsJson || !templatesDir) {
  console.error("usage: node run.mjs PYODIDE_DIR BUNDLE_DIR CALLS_JSON TEMPLATES_DIR WHEEL_DIR...");
  process.exit(2);
}

const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);

function fail(message) {
  // Pyodide errors carry a huge minified stack: print the message only.
  console.log(`[test-lite] ERROR ${String(message).split("\n").slice(-12).join("\n")}`);
  console.log(`0 passed, 1 failed`);
  process.exit(1);
}

let pyodide;
try {
  const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
  pyodide = await loadPyodide({ indexURL: path.resolve(pyodideDir) + "/" });
} catch (e) {
  fail(`loading Pyodide failed: ${e && e.message}`);
}

const wheels = [];
for (const dir of [...wheelDirs, bundleDir]) {
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.endsWith(".whl")) wheels.push(path.join(dir, name));
  }
}
try {
  for (const wheel of wheels) {
    await pyodide.unpackArchive(new Uint8Array(fs.readFileSync(wheel)), "wheel");
  }
} catch (e) {
  fail(`installing the wheels failed: ${e && e.message}`);
}
console.log(
  `[test-lite] Pyodide ${pyodide.version} (Python ${pyodide.runPython("import sys; sys.version.split()[0]")}), ` +
    `${wheels.length} wheels: ${wheels.map((w) => path.basename(w).split("-").slice(0, 2).join("-")).join(", ")}`,
);

function copyInto(target, files) {
  pyodide.FS.mkdirTree(target);
  for (const file of files) {
    pyodide.FS.writeFile(`${target}/${path.basename(file)}`, new Uint8Array(fs.readFileSync(file)));
  }
}
const appDir = "/home/pyodide/lite_app";
const testDir = "/home/pyodide/lite_tests";
copyInto(appDir, [path.join(bundleDir, "main.py")]);
copyInto(testDir, ["lite_check.py", "fake_book.py"].map((f) => path.join(here, f)));
copyInto(testDir, [callsJson]);
copyInto(
  "/home/pyodide/templates",
  fs
    .readdirSync(templatesDir)
    .filter((f) => f.endsWith(".xlsx") && !f.includes("_原生公式"))
    .map((f) => path.join(templatesDir, f)),
);

let report;
try {
  pyodide.globals.set("ARGS", pyodide.toPy([appDir, `${testDir}/${path.basename(callsJson)}`, "/home/pyodide/templates"]));
  const out = await pyodide.runPythonAsync(`
import sys
sys.path.insert(0, "${testDir}")
import lite_check
await lite_check.run(*ARGS)
`);
  report = JSON.parse(out);
} catch (e) {
  fail(`the checks could not run: ${e && e.message}`);
}

for (const line of report.failures) console.log(`FAILED ${line}`);
console.log(
  `[test-lite] ${report.calls} recorded LXBZ_* calls replayed in Pyodide against CPython, ` +
    `plus registration and rebind_and_recalculate checks, in ${seconds()}s`,
);
console.log(`${report.passed} passed, ${report.failed} failed`);
process.exit(report.failed ? 1 : 0);
