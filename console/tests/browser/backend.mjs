// Starts the REAL backend for the browser tests (and for regenerating the API types): embedded profile
// (SQLite + in-process Redis + sandboxes) in a temporary folder, `citizen-api migrate`, `seed --demo`,
// the browser fixtures, then `citizen-api serve` on a free port. Needs `citizen-api` on PATH
// (the Makefile puts .venv/bin first).
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const repoRoot = resolve(here, '..', '..', '..')

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer()
    server.unref()
    server.on('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => ok(port))
    })
  })
}

function cli() {
  try {
    return execFileSync('sh', ['-c', 'command -v citizen-api'], { encoding: 'utf8' }).trim()
  } catch {
    throw new Error('citizen-api is not on PATH: run `make test-frontends`, or put .venv/bin on PATH')
  }
}

function run(command, args, env, { input } = {}) {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { env, cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', fail)
    child.on('close', (code) =>
      code === 0 ? ok(out) : fail(new Error(`${command} ${args.join(' ')} exited ${code}:\n${err.slice(-3000)}`)),
    )
    child.stdin.end(input ?? '')
  })
}

async function waitReady(url, child, seconds = 360) {
  const deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`)
    try {
      const response = await fetch(`${url}/ready`)
      if (response.ok) return
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300))
  }
  throw new Error(`the server did not become ready within ${seconds}s`)
}

export async function startBackend({ fixtures = true, log = () => {} } = {}) {
  const bin = cli()
  // The interpreter of the citizen-api script runs the fixtures with the same packages.
  const python = readFileSync(bin, 'utf8').split('\n')[0].replace(/^#!\s*/, '').trim()
  const folder = mkdtempSync(join(tmpdir(), 'citizen-console-'))
  const port = await freePort()
  const env = {
    ...process.env,
    PYTHONPATH: [repoRoot, process.env.PYTHONPATH].filter(Boolean).join(':'),
    CITIZEN_PROFILE: 'embedded',
    CITIZEN_DATABASE_URL: `sqlite://${folder}/console.sqlite3`,
    CITIZEN_UPLOAD_DIR: join(folder, 'uploads'),
    // Signed audit checkpoints belong to this run's database: the default (var/ in the repository)
    // would keep a previous run's checkpoints, which then "disagree" with this database's chain.
    CITIZEN_AUDIT_CHECKPOINT_DIR: join(folder, 'audit-checkpoints'),
    CITIZEN_HOST: '127.0.0.1',
    CITIZEN_PORT: String(port),
    CITIZEN_LOG_LEVEL: 'WARNING',
    CITIZEN_OPS_DASHBOARD_CACHE_S: '1',
    // The platform sandbox waits for the department (the operator in the console) instead of walking
    // each case to completion on its own, so a test decides the case and reads what the platform got.
    CITIZEN_SANDBOX_EXTRA: JSON.stringify({ gov_platform: { auto_advance: false } }),
  }
  let data = null
  if (fixtures) {
    // migrate, seed --demo and the fixtures in one Python process (fixtures.py --prepare).
    log('migrate + seed --demo + fixtures')
    data = JSON.parse((await run(python, [join(here, 'fixtures.py'), '--prepare'], env)).trim().split('\n').pop())
  } else {
    log('migrate')
    await run(bin, ['migrate'], env)
    log('seed --demo')
    await run(bin, ['seed', '--demo'], env)
  }
  log('serve')
  const server = spawn(bin, ['serve', '--host', '127.0.0.1', '--port', String(port)], {
    env,
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let serverErr = ''
  server.stderr.on('data', (d) => (serverErr = (serverErr + d).slice(-5000)))
  const url = `http://127.0.0.1:${port}`
  try {
    await waitReady(url, server)
  } catch (error) {
    server.kill('SIGTERM')
    throw new Error(`${error.message}\n${serverErr}`)
  }
  return {
    url,
    data,
    async stop() {
      if (server.exitCode === null) {
        server.kill('SIGTERM')
        await new Promise((r) => {
          const timer = setTimeout(() => (server.kill('SIGKILL'), r()), 15000)
          server.on('close', () => (clearTimeout(timer), r()))
        })
      }
      rmSync(folder, { recursive: true, force: true })
    },
  }
}
