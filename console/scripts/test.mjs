// `npm test`: type check, unit tests (vitest), build when the sources changed, then the browser tests
// in Debian's chromium against the real backend. The last line is exactly `N passed, N failed`.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
let passed = 0
let failed = 0

function step(name, command, args, options = {}) {
  console.log(`== ${name}`)
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options })
  return result.status === 0
}

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

// 1. Types
if (step('type check (vue-tsc)', 'npx', ['vue-tsc', '--noEmit'])) passed += 1
else failed += 1

// 2. Unit tests
const unitReport = join(tmpdir(), `console-vitest-${process.pid}.json`)
step('unit tests (vitest)', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${unitReport}`])
if (existsSync(unitReport)) {
  const report = JSON.parse(readFileSync(unitReport, 'utf8'))
  passed += report.numPassedTests
  failed += report.numFailedTests + (report.numTotalTestSuites && report.success === false && !report.numFailedTests ? 1 : 0)
  rmSync(unitReport)
} else failed += 1

// 3. Build (the API serves dist/ at /console/)
const index = join(root, 'dist', 'index.html')
const stale = !existsSync(index) || newest(join(root, 'src')) > statSync(index).mtimeMs
if (stale && !step('build (vite)', 'npx', ['vite', 'build', '--logLevel', 'warn'])) failed += 1

// 4. Browser tests
if (!ensureChromium()) failed += 1
else {
  const result = join(tmpdir(), `console-browser-${process.pid}.json`)
  step('browser tests (chromium, real backend)', 'node', ['tests/browser/run.mjs'], { env: { ...process.env, BROWSER_RESULT: result } })
  if (existsSync(result)) {
    const counts = JSON.parse(readFileSync(result, 'utf8'))
    passed += counts.passed
    failed += counts.failed
    rmSync(result)
  } else failed += 1
}

console.log(`${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
