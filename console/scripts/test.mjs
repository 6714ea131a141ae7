// `npm test`: type check, unit tests (vitest), build when the sources changed, then the browser tests
// in Debian's chromium against the real backend. The last line is exactly `N passed, N failed`.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const T0 = Date.now()
let passed = 0
let failed = 0

function ensureChromium() {
  if (existsSync(CHROMIUM)) return true
  const root = typeof process.getuid === 'function' && process.getuid() === 0
  if (!root) {
    console.log(`${CHROMIUM} is missing: install it with \`sudo apt-get install -y chromium fonts-noto-cjk\``)
    return false
  }
  console.log('== installing chromium and CJK fonts (apt-get)')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  spawnSync('apt-get', ['install', '-y', '-qq', 'chromium', 'fonts-noto-cjk'], { stdio: 'inherit', env })
  return existsSync(CHROMIUM)
}

function newest(folder) {
  let latest = 0
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name)
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }
  return latest
}

// Everything that does not depend on anything else runs at once: the type check, the unit tests, the
// build and the browser runner (whose backend start-up, the slowest step, overlaps the others; it
// waits for the build's ready file before opening the console).
function run(name, command, args, options = {}) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...options })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('close', (code) => {
      // Printed whole when done, so parallel steps do not interleave their output.
      console.log(`== ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n${out.trimEnd()}`)
      resolve(code === 0)
    })
  })
}

const marker = join(tmpdir(), `console-build-${process.pid}.ready`)
const index = join(root, 'dist', 'index.html')
const stale = !existsSync(index) || newest(join(root, 'src')) > statSync(index).mtimeMs
const build = stale
  ? run('build (vite)', 'npx', ['vite', 'build', '--logLevel', 'warn']).then((built) => {
      writeFileSync(built ? marker : `${marker}.failed`, '')
      return built
    })
  : Promise.resolve(true).then(() => (writeFileSync(marker, ''), true))

const unitReport = join(tmpdir(), `console-vitest-${process.pid}.json`)
const browserResult = join(tmpdir(), `console-browser-${process.pid}.json`)
const haveChromium = ensureChromium()
const [typed, , built] = await Promise.all([
  run('type check (vue-tsc)', 'npx', ['vue-tsc', '--noEmit']),
  run('unit tests (vitest)', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${unitReport}`]),
  build,
  haveChromium
    ? run('browser tests (chromium, real backend)', 'node', ['tests/browser/run.mjs'], {
        env: { ...process.env, BROWSER_RESULT: browserResult, BUILD_READY_FILE: marker },
      })
    : Promise.resolve(false),
])

// 1. Types
if (typed) passed += 1
else failed += 1

// 2. Unit tests
if (existsSync(unitReport)) {
  const report = JSON.parse(readFileSync(unitReport, 'utf8'))
  passed += report.numPassedTests
  failed += report.numFailedTests + (report.numTotalTestSuites && report.success === false && !report.numFailedTests ? 1 : 0)
  rmSync(unitReport)
} else failed += 1

// 3. Build (the API serves dist/ at /console/)
if (!built) failed += 1
for (const file of [marker, `${marker}.failed`]) rmSync(file, { force: true })

// 4. Browser tests
if (!haveChromium) failed += 1
else if (existsSync(browserResult)) {
  const counts = JSON.parse(readFileSync(browserResult, 'utf8'))
  passed += counts.passed
  failed += counts.failed
  rmSync(browserResult)
} else failed += 1

console.log(`npm test took ${((Date.now() - T0) / 1000).toFixed(0)} s`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
