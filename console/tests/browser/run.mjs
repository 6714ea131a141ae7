// Browser tests: headless Debian chromium (playwright-core, no browser download) against the REAL backend
// (tests/browser/backend.mjs). Each test signs a staff member in through the console and acts through
// its screens; effects are checked through the API as well. Screenshots go to console/screenshots/.
// Prints `N passed, N failed` (and writes the counts to $BROWSER_RESULT when set).
import { chromium } from 'playwright-core'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startBackend } from './backend.mjs'
import { totp } from './totp.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const shots = join(here, '..', '..', 'screenshots')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']

function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`)
}

let backend
let browser

async function newPage(locale = 'zh-CN') {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale, timezoneId: 'Asia/Shanghai' })
  const page = await context.newPage()
  page.setDefaultTimeout(20_000)
  return page
}

// A fresh code for each sign-in: a code is accepted once per account (replay protection).
const lastStep = new Map()
async function codeFor(who) {
  const { totp_secret } = backend.data.staff[who]
  let step = Math.floor(Date.now() / 30000)
  if (lastStep.get(who) === step) {
    await new Promise((r) => setTimeout(r, 30000 - (Date.now() % 30000) + 200))
    step = Math.floor(Date.now() / 30000)
  }
  lastStep.set(who, step)
  return totp(totp_secret)
}

async function signIn(page, who) {
  const account = backend.data.staff[who]
  await page.goto(`${backend.url}/console/#/sign-in`)
  await page.fill('#username', account.username)
  await page.fill('#password', account.password)
  await page.fill('#code', await codeFor(who))
  await page.click('[data-test=sign-in-submit]')
  await page.waitForSelector('[data-test=sign-out]')
}

/** Call the API from inside the page with the signed-in staff member's own token. */
async function apiAs(page, path, init = {}) {
  return page.evaluate(
    async ([path, init]) => {
      const session = JSON.parse(sessionStorage.getItem('citizen-console-session'))
      const response = await fetch(path, {
        ...init,
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${session.tokens.access_token}`, ...(init.headers ?? {}) },
      })
      return { status: response.status, body: await response.json().catch(() => null) }
    },
    [path, init],
  )
}

async function shot(page, name) {
  await page.waitForTimeout(400) // charts finish their entry animation
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
}

const tests = []
const test = (name, fn) => tests.push({ name, fn })

test('sign-in page in both languages, refusing a wrong code', async () => {
  const page = await newPage()
  await page.goto(`${backend.url}/console/`)
  await page.waitForSelector('#username')
  assert((await page.textContent('h1')).includes('工作人员登录'), 'zh_CN is the default')
  await page.fill('#username', 'viewer')
  await page.fill('#password', backend.data.staff.viewer.password)
  await page.fill('#code', '000000')
  await page.click('[data-test=sign-in-submit]')
  const error = await page.waitForSelector('[data-test=sign-in-error]')
  assert((await error.textContent()).includes('错误'), 'the refusal is shown in Chinese')
  await shot(page, 'sign-in')
  await page.getByRole('button', { name: 'English' }).click()
  assert((await page.textContent('h1')).includes('Staff sign-in'), 'switches to English')
  await page.context().close()
})

test('community staff verifies a member, posts a notice a second staff member reviews, resolves a report', async () => {
  const { community_id, report_id } = backend.data
  const page = await newPage()
  await signIn(page, 'staff1')
  // Residents to verify
  await page.click('[data-test=nav-members]')
  const approve = await page.waitForSelector('[data-test^=approve-]')
  await shot(page, 'community-members')
  await approve.click()
  await page.waitForSelector('[data-test^=approve-]', { state: 'detached' })
  const verified = await apiAs(page, `/api/v1/staff/communities/${community_id}/members?status=verified`)
  assert(verified.body.items.length === 1 && verified.body.items[0].verified_at, 'membership verified in the API')

  // A notice that WeChat content security holds for review (the sandbox holds text with 待审核)
  await page.click('[data-test=nav-notices]')
  await page.click('[data-test=notice-new]')
  await page.fill('#notice-title', '停水通知（待审核）')
  await page.fill('#notice-body', '12月3日 9:00-17:00 小区二期停水检修，请提前储水。待审核')
  await page.click('[data-test=notice-submit]')
  const held = await page.waitForSelector('[data-test^=notice-status-]:has-text("待复核")')
  const noticeId = (await held.getAttribute('data-test')).replace('notice-status-', '')
  await shot(page, 'community-notices')
  // The author cannot approve their own notice: the API says so.
  await page.click(`[data-test=review-approve-${noticeId}]`)
  await page.waitForSelector('.el-message--error')

  const second = await newPage()
  await signIn(second, 'staff2')
  await second.click('[data-test=nav-notices]')
  await second.click(`[data-test=review-approve-${noticeId}]`)
  await second.waitForSelector(`[data-test=notice-status-${noticeId}]:has-text("已发布")`)
  const notice = await apiAs(second, `/api/v1/notices/${noticeId}`)
  assert(notice.status === 200 && notice.body.status === 'published', 'the notice is published')
  await second.context().close()

  // The report: in progress, then resolved with a note
  await page.click('[data-test=nav-reports]')
  await page.click(`[data-test=report-handle-${report_id}]`)
  await page.click('[data-test=report-to-in_progress]')
  await page.click('[data-test=report-apply]')
  await page.waitForSelector(`[data-test=report-status-${report_id}]:has-text("处理中")`)
  await page.click(`[data-test=report-handle-${report_id}]`)
  await page.click('[data-test=report-to-resolved]')
  await page.fill('#report-note', '已更换灯泡')
  await page.click('[data-test=report-apply]')
  await page.waitForSelector(`[data-test=report-status-${report_id}]:has-text("已解决")`)
  await shot(page, 'community-reports')
  const report = await apiAs(page, `/api/v1/community/reports/${report_id}`)
  assert(report.body.status === 'resolved' && report.body.history.some((h) => h.note === '已更换灯泡'), 'resolved with the note')
  await page.click('[data-test=nav-events]')
  await page.waitForSelector('h1:has-text("社区活动")')
  await shot(page, 'community-events')
  await page.context().close()
})

test('department operator sees the overdue case first, closes an overdue bad-rating follow-up, sees the day’s hall bookings', async () => {
  const { follow_up_id, case_id } = backend.data
  const page = await newPage()
  await signIn(page, 'operator')
  await page.click('[data-test=nav-cases]')
  await page.waitForSelector(`[data-test=case-overdue-${case_id}]`)
  const first = await page.textContent('[data-test=cases-table] tbody tr:first-child')
  assert(first.includes('JY-BROWSER-1'), 'the overdue case leads the queue')
  await shot(page, 'department-cases')
  await page.click('[data-test=nav-followUps]')
  await page.waitForSelector(`[data-test=follow-up-${follow_up_id}]`)
  assert((await page.textContent('[data-test=follow-ups-table]')).includes('已超期'), 'overdue is marked')
  await shot(page, 'department-follow-ups')
  await page.click(`[data-test=follow-up-${follow_up_id}]`)
  await page.fill('#follow-up-resolution', '已回访群众并优化叫号流程')
  await page.click('[data-test=follow-up-submit]')
  await page.waitForSelector(`[data-test=follow-up-${follow_up_id}]`, { state: 'detached' })
  const closed = await apiAs(page, '/api/v1/gov/follow-ups?status=closed')
  assert(closed.body.items.some((f) => f.id === follow_up_id && f.resolution.includes('叫号')), 'closed with the resolution')
  await page.click('[data-test=nav-hallBookings]')
  await page.waitForSelector('[data-test=hall-table]')
  await shot(page, 'department-hall-bookings')
  await page.context().close()
})

test('ops viewer sees today’s figures change after a booking (keyboard sign-in)', async () => {
  const { slot_id, booker_token } = backend.data
  const page = await newPage()
  await page.goto(`${backend.url}/console/#/sign-in`)
  await page.focus('#username')
  await page.keyboard.type('viewer')
  await page.keyboard.press('Tab')
  await page.keyboard.type(backend.data.staff.viewer.password)
  await page.focus('#code')
  await page.keyboard.type(await codeFor('viewer'))
  await page.keyboard.press('Enter')
  await page.waitForSelector('[data-test=kpi-bookingsMade] dd')
  const before = Number(await page.textContent('[data-test=kpi-bookingsMade] dd'))
  const booked = await fetch(`${backend.url}/api/v1/bookings`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${booker_token}`, 'Idempotency-Key': `browser-${Date.now()}` },
    body: JSON.stringify({ slot_id, party_size: 1 }),
  })
  assert(booked.status === 201, `booking made (${booked.status})`)
  await page.waitForTimeout(1200) // the dashboard answer is cached for 1 s in this run
  await page.click('[data-test=dashboard-refresh]')
  await page.waitForFunction((n) => Number(document.querySelector('[data-test=kpi-bookingsMade] dd')?.textContent) === n, before + 1)
  await shot(page, 'ops-dashboard')
  await page.context().close()
})

test('administrator retries a dead letter and verifies the audit chain', async () => {
  const { dead_letter_id } = backend.data
  const page = await newPage('en-GB')
  await signIn(page, 'admin')
  await page.click('[data-test=nav-outbox]')
  await page.waitForSelector(`[data-test=retry-${dead_letter_id}]`)
  await shot(page, 'admin-outbox')
  await page.click(`[data-test=retry-${dead_letter_id}]`)
  await page.waitForSelector(`[data-test=outbox-status-${dead_letter_id}]:has-text("待投递"), [data-test=outbox-status-${dead_letter_id}]:has-text("投递中")`)
  const dead = await apiAs(page, '/api/v1/ops/outbox?status=dead')
  assert(!dead.body.items.some((m) => m.id === dead_letter_id), 'no longer a dead letter')
  await page.click('[data-test=nav-audit]')
  await page.click('[data-test=audit-verify]')
  const report = await page.waitForSelector('[data-test=audit-report]')
  assert((await report.textContent()).includes('完整'), 'the chain verifies')
  assert((await page.textContent('[data-test=audit-table]')).includes('staff.signed_in'), 'sign-ins are audited')
  await shot(page, 'admin-audit')
  await page.click('[data-test=nav-keys]')
  await page.waitForSelector('#key-partner')
  await shot(page, 'admin-open311-keys')
  await page.click('[data-test=sign-out]')
  await page.waitForSelector('#username')
  await page.context().close()
})

let passed = 0
let failed = 0
mkdirSync(shots, { recursive: true })
try {
  const started = Date.now()
  backend = await startBackend({ log: (step) => console.log(`backend: ${step} (${Math.round((Date.now() - started) / 1000)} s)`) })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
  for (const { name, fn } of tests) {
    const t0 = Date.now()
    try {
      await fn()
      passed += 1
      console.log(`✓ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
    } catch (error) {
      failed += 1
      console.log(`✗ ${name}\n  ${String(error.stack ?? error).split('\n').slice(0, 6).join('\n  ')}`)
    }
  }
} catch (error) {
  failed += tests.length - passed - failed
  console.log(`✗ browser tests could not run: ${error.stack ?? error}`)
} finally {
  await browser?.close()
  await backend?.stop()
}
if (process.env.BROWSER_RESULT) writeFileSync(process.env.BROWSER_RESULT, JSON.stringify({ passed, failed }))
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
