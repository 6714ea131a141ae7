// Journey: a resident joins a community nearby, reports a problem with a photo and the place picked on the
// map; community staff resolve it; the resident is asked "is it fixed?" and confirms.
const app = require('../harness/app')
const { cli } = require('./backend')
const { person, api } = require('../harness/people')

test('resident__reports_a_problem_with_a_photo_and_confirms_the_fix', async () => {
  const resident = person('resident')
  let page = await app.launch('/pages/community/index')
  expect(page.instance.data.nearby.length).toBeGreaterThan(0)
  page = await app.tap(page, '#join-0')
  expect(resident.storage.get('citizen.session')).toBeTruthy() // signed in at the first need
  expect(app.text(page)).toContain('待核实')
  const communityId = page.instance.data.communityId

  page = await app.tap(page, '#report')
  expect(page.route).toBe('pages/community/report')
  page = await app.tap(page, '#category-road_damage')
  page = await app.type(page, '#description', `路面塌陷，约半米宽 ${Date.now()}`)
  page = await app.tap(page, '#add-photo')
  expect(page.instance.data.photos).toHaveLength(1)
  page = await app.tap(page, '#choose-location')
  expect(app.text(page)).toContain('沁园路')
  page = await app.tap(page, '#submit')
  if (page.route === 'pages/community/report') {
    // similar reports nearby in the demo data: this one is new
    expect(page.instance.data.similar.length).toBeGreaterThan(0)
    page = await app.tap(page, '#submit-new')
  }
  expect(page.route).toBe('pages/community/report-detail')
  expect(app.text(page)).toContain('待处理')
  const report = page.instance.data.report
  expect(report.photos).toHaveLength(1)
  expect(report.location.lat).toBeCloseTo(35.0953, 3)

  // Staff of that community resolve it (through the API, as the console would)
  const staffLogin = await api('POST', '/api/v1/auth/wechat-login', { body: { code: `staff-${process.pid}` } })
  cli(['users', 'grant-role', '--user', staffLogin.body.user.id, '--role', 'community_staff', '--scope', report.community_id, '--operator', 'mini-program e2e'])
  const staff = staffLogin.body.access_token
  expect((await api('POST', `/api/v1/staff/reports/${report.id}/status`, { token: staff, body: { status: 'in_progress' } })).status).toBe(200)
  expect((await api('POST', `/api/v1/staff/reports/${report.id}/status`, { token: staff, body: { status: 'resolved', note: '已修补' } })).status).toBe(200)

  person('resident')
  page = await app.launch(`/pages/community/report-detail?id=${report.id}`)
  expect(app.text(page)).toContain('问题解决了吗？')
  page = await app.tap(page, '#fixed-yes')
  const after = await api('GET', `/api/v1/community/reports/${report.id}`)
  expect(after.body.fixed_confirmed).toBe(true)
  expect(after.body.awaiting_feedback).toBe(false)
  expect(app.text(page)).not.toContain('问题解决了吗？')
  expect(communityId).toBeTruthy()
})
