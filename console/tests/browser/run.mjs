// Browser tests: headless Debian chromium (playwright-core, no browser download) against the REAL backend
// (tests/browser/backend.mjs). Each test signs a staff member in through the console and acts through
// its screens; effects are checked through the API as well. Screenshots go to console/screenshots/.
// Prints `N passed, N failed` (and writes the counts to $BROWSER_RESULT when set).
import { chromium } from 'playwright-core'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
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
// exclusive: runs alone after the others (the audit-chain check then verifies a log nobody appends to).
const test = (name, fn, { exclusive = false } = {}) => tests.push({ name, fn, exclusive })

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

test('department operator answers the overdue case (platform and applicant see it), closes an overdue bad-rating follow-up, sees the day’s hall bookings', async () => {
  const { follow_up_id, case_id } = backend.data
  const page = await newPage()
  await signIn(page, 'operator')
  await page.click('[data-test=nav-cases]')
  await page.waitForSelector(`[data-test=case-overdue-${case_id}]`)
  const first = await page.textContent('[data-test=cases-table] tbody tr:first-child')
  assert(first.includes('JY-BROWSER-1'), 'the overdue case leads the queue')
  await shot(page, 'department-cases')
  // The operator answers the overdue case: approves it with a reason, then replies to the applicant.
  await page.click(`[data-test=case-open-${case_id}]`)
  await page.waitForSelector('[data-test=case-detail-status]:has-text("审查中")')
  await page.fill('#case-reason', '材料齐全，准予办理')
  await page.click('[data-test=case-approve]')
  await page.waitForSelector('[data-test=case-detail-status]:has-text("已批准")')
  await page.fill('#case-reply', '请于三个工作日内携带身份证到政务服务大厅领取结果')
  await page.click('[data-test=case-reply]')
  await page.waitForSelector('[data-test=case-timeline] >> text=受理部门答复')
  await shot(page, 'department-case-detail')
  await page.keyboard.press('Escape')
  // The applicant's own list shows the decision.
  const theirs = await (await fetch(`${backend.url}/api/v1/me/cases`, { headers: { Authorization: `Bearer ${backend.data.applicant_token}` } })).json()
  const mine = theirs.items.find((c) => c.ref === 'JY-BROWSER-1')
  assert(mine && mine.status === 'approved', `the applicant sees the case approved (${JSON.stringify(mine)})`)
  // The platform sandbox received the case (from the worker) and then both decisions, in order.
  let held = null
  for (let i = 0; i < 100 && !(held?.decisions?.length >= 2); i += 1) {
    const all = await (await fetch(`${backend.url}/sandbox/gov_platform/api/cases`)).json()
    const ref = all.cases.find((c) => c.case_id === case_id)?.platform_ref
    held = ref ? await (await fetch(`${backend.url}/sandbox/gov_platform/api/cases/${ref}`)).json() : null
    if (!(held?.decisions?.length >= 2)) await new Promise((r) => setTimeout(r, 200))
  }
  assert(held, 'the platform holds the case')
  const got = held.decisions.map((d) => `${d.action}:${d.status}:${d.message}`)
  assert(
    JSON.stringify(got) === JSON.stringify(['approve:approved:材料齐全，准予办理', 'reply:approved:请于三个工作日内携带身份证到政务服务大厅领取结果']),
    `the platform received the decisions (${JSON.stringify(got)})`,
  )
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

test('administrator retries a dead letter, verifies the audit chain, grants a role', async () => {
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
  const verdict = await report.textContent()
  assert(verdict.includes('完整'), `the chain verifies (${verdict})`)
  assert((await page.textContent('[data-test=audit-table]')).includes('staff.signed_in'), 'sign-ins are audited')
  await shot(page, 'admin-audit')
  // Roles: a resident granted ops_viewer can read the dashboard from then on.
  const dashboardAs = async () =>
    (await fetch(`${backend.url}/api/v1/ops/dashboard`, { headers: { Authorization: `Bearer ${backend.data.applicant_token}` } })).status
  assert((await dashboardAs()) === 403, 'a resident cannot read the dashboard')
  await page.click('[data-test=nav-roles]')
  await page.fill('#role-user', backend.data.applicant_id)
  await page.click('[data-test=role-grant]')
  await page.waitForSelector('.el-message--success')
  await shot(page, 'admin-roles')
  let status = 0
  for (let i = 0; i < 50 && status !== 200; i += 1) {
    status = await dashboardAs()
    if (status !== 200) await new Promise((r) => setTimeout(r, 100))
  }
  assert(status === 200, `the granted role takes effect (${status})`)
  await page.click('[data-test=nav-keys]')
  await page.waitForSelector('#key-partner')
  await shot(page, 'admin-open311-keys')
  await page.click('[data-test=sign-out]')
  await page.waitForSelector('#username')
  await page.context().close()
}, { exclusive: true })

let passed = 0
let failed = 0
mkdirSync(shots, { recursive: true })

// `npm test` builds dist/ while the backend starts; the tests wait for its "ready" file (or "failed").
async function buildReady() {
  const marker = process.env.BUILD_READY_FILE
  if (!marker) return true
  while (!existsSync(marker) && !existsSync(`${marker}.failed`)) await new Promise((r) => setTimeout(r, 200))
  return existsSync(marker)
}

async function runOne({ name, fn }) {
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

// One backend and one browser for all tests; tests act as different staff members on separate data
// (each in its own browser context), so they run side by side, BROWSER_CONCURRENCY at a time.
const CONCURRENCY = Math.max(1, Number(process.env.BROWSER_CONCURRENCY ?? 3))
try {
  const started = Date.now()
  const elapsed = () => Math.round((Date.now() - started) / 1000)
  backend = await startBackend({ log: (step) => console.log(`backend: ${step} (${elapsed()} s)`) })
  if (!(await buildReady())) throw new Error('the console build failed: nothing to test')
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
  console.log(`browser up (${elapsed()} s); ${tests.length} tests, ${CONCURRENCY} at a time`)
  const queue = tests.filter((t) => !t.exclusive)
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
      while (queue.length) await runOne(queue.shift())
    }),
  )
  for (const one of tests.filter((t) => t.exclusive)) await runOne(one)
  console.log(`browser tests done (${elapsed()} s)`)
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
