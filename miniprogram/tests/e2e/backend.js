// Starts the REAL backend for the tests: the embedded profile (SQLite in a temporary directory, fakeredis,
// every outside system's sandbox mounted under /sandbox), migrated and seeded with the Jiyuan demo data,
// served on a free port. The tests talk to it over HTTP only.
const { spawn, spawnSync, execFileSync } = require('child_process')
const fs = require('fs')
const http = require('http')
const net = require('net')
const os = require('os')
const path = require('path')

const REPO = path.join(__dirname, '..', '..', '..')
const STATE = path.join(os.tmpdir(), `mini-backend-${process.ppid}-${process.pid}.json`)

/** The Python that has citizen_api installed: $CITIZEN_PYTHON, the repo's .venv, citizen-api's own, python3. */
function python() {
  if (process.env.CITIZEN_PYTHON) return process.env.CITIZEN_PYTHON
  const venv = path.join(REPO, '.venv', 'bin', 'python')
  if (fs.existsSync(venv)) return venv
  const which = spawnSync('sh', ['-c', 'command -v citizen-api'], { encoding: 'utf8' }).stdout.trim()
  if (which) {
    const shebang = fs.readFileSync(which, 'utf8').split('\n')[0].replace(/^#!/, '').trim()
    if (shebang && fs.existsSync(shebang)) return shebang
  }
  return 'python3'
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address())
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

async function waitHealthy(base, child, logFile) {
  const deadline = Date.now() + 120000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the backend exited (${child.exitCode}):\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`)
    const ok = await new Promise((resolve) => {
      const req = http.get(`${base}/ready`, { agent: false }, (res) => {
        res.resume()
        resolve(res.statusCode === 200)
      })
      req.on('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 300))
  }
  throw new Error(`the backend did not become ready:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`)
}

function environment(dir, port) {
  return {
    ...process.env,
    PYTHONPATH: [REPO, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
    CITIZEN_PROFILE: 'embedded',
    CITIZEN_DATABASE_URL: `sqlite://${path.join(dir, 'citizen.sqlite3')}`,
    CITIZEN_UPLOAD_DIR: path.join(dir, 'uploads'),
    CITIZEN_HOST: '127.0.0.1',
    CITIZEN_PORT: String(port),
    CITIZEN_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    CITIZEN_LOG_JSON: 'false',
    CITIZEN_LOG_LEVEL: 'WARNING',
  }
}

/** Run one CLI command against the test backend's database (e.g. granting a staff role). */
function cli(args) {
  const state = JSON.parse(fs.readFileSync(process.env.MINI_BACKEND_STATE || STATE, 'utf8'))
  return execFileSync(state.python, ['-m', 'citizen_api.cli', ...args], { env: state.env, cwd: state.dir, encoding: 'utf8' })
}

async function start() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mini-e2e-'))
  try {
    return await startIn(dir)
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

async function startIn(dir) {
  const port = await freePort()
  const env = environment(dir, port)
  const py = python()
  for (const args of [['migrate'], ['seed', '--demo']]) {
    const began = Date.now()
    const run = spawnSync(py, ['-m', 'citizen_api.cli', ...args], { env, cwd: dir, encoding: 'utf8' })
    if (run.status !== 0) throw new Error(`citizen-api ${args.join(' ')} failed:\n${run.stdout}\n${run.stderr}`)
    console.log(`backend: citizen-api ${args.join(' ')} took ${((Date.now() - began) / 1000).toFixed(1)} s`)
  }
  const logFile = path.join(dir, 'serve.log')
  const log = fs.openSync(logFile, 'a')
  const child = spawn(py, ['-m', 'citizen_api.cli', 'serve', '--host', '127.0.0.1', '--port', String(port)], {
    env,
    cwd: dir,
    stdio: ['ignore', log, log],
  })
  child.unref()
  const base = `http://127.0.0.1:${port}`
  const began = Date.now()
  try {
    await waitHealthy(base, child, logFile)
  } catch (err) {
    if (child.exitCode === null) child.kill('SIGKILL') // ours, never ready: do not leave it running
    throw err
  }
  console.log(`backend: ready on ${base} after ${((Date.now() - began) / 1000).toFixed(1)} s`)
  fs.writeFileSync(STATE, JSON.stringify({ base, pid: child.pid, dir, python: py, env }))
  process.env.MINI_BACKEND_STATE = STATE
  process.env.MINI_API_BASE = base
  return child
}

function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return false
  }
}

/** SIGTERM the server we started (it finishes in-flight requests), SIGKILL it if it is still there after 15 s. */
async function stop() {
  if (!fs.existsSync(STATE)) return
  const state = JSON.parse(fs.readFileSync(STATE, 'utf8'))
  if (alive(state.pid)) process.kill(state.pid, 'SIGTERM')
  for (let i = 0; i < 150 && alive(state.pid); i++) await new Promise((r) => setTimeout(r, 100))
  if (alive(state.pid)) process.kill(state.pid, 'SIGKILL')
  fs.rmSync(STATE, { force: true })
  fs.rmSync(state.dir, { recursive: true, force: true })
}

module.exports = { start, stop, cli, STATE }
