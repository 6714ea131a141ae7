#!/usr/bin/env node
// `npm test`: the static gates (tsc over the JSDoc types, ESLint with the WXML plugin, WeChat's own WXML and
// WXSS compilers over every page), then jest (unit, page and end-to-end tests against the real backend).
// Each gate counts as one check, each jest test as one; the last line is `N passed, N failed`.
const { spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const root = path.join(__dirname, '..')
const bin = (name) => path.join(root, 'node_modules', '.bin', name)
let passed = 0
let failed = 0

function gate(name, command, args) {
  console.log(`== ${name}`)
  const run = spawnSync(command, args, { cwd: root, stdio: 'inherit' })
  if (run.status === 0) passed++
  else {
    failed++
    console.log(`!! ${name} failed`)
  }
}

gate('tsc (JSDoc types, miniprogram-api-typings, OpenAPI schema)', bin('tsc'), ['-p', 'tsconfig.json'])
gate('eslint (JS + WXML)', bin('eslint'), ['--max-warnings=0', '.'])
gate('WeChat WXML/WXSS compilers', process.execPath, [path.join(__dirname, 'compile-wxml.js')])

console.log('== jest (unit, pages, end-to-end against the real backend)')
const counts = path.join(os.tmpdir(), `mini-jest-${process.pid}.json`)
const jest = spawnSync(bin('jest'), ['--ci'], { cwd: root, stdio: 'inherit', env: { ...process.env, MINI_JEST_COUNTS: counts } })
if (fs.existsSync(counts)) {
  const c = JSON.parse(fs.readFileSync(counts, 'utf8'))
  passed += c.passed
  failed += c.failed
  if (jest.status !== 0 && c.failed === 0) failed++
  fs.rmSync(counts, { force: true })
} else {
  failed++
}

console.log(`${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
