// Journey: a parent finds the school district of their address (with the reason), sees the rounds, opens the
// application for a child; outside the registration phase the bureau's refusal is shown in their language.
const app = require('../harness/app')
const { person, idNumber } = require('../harness/people')
const { signInAndVerify } = require('../harness/journeys')

test('parent__looks_up_the_district_and_applies_for_a_child', async () => {
  const parent = await signInAndVerify('parent', '赵强', '19880303')
  person('parent')
  let page = await app.launch('/pages/education/index')
  expect(page.instance.data.rounds.length).toBeGreaterThan(0)
  page = await app.type(page, '#address', '济源市沁园路')
  page = await app.tap(page, '#look-up')
  const matches = page.instance.data.lookup.matches
  expect(matches.length).toBeGreaterThan(0)
  expect(app.text(page)).toContain(matches[0].school.name)
  expect(matches[0].reason.length).toBeGreaterThan(0)

  page = await app.tap(page, '#apply-0')
  expect(page.route).toBe('pages/education/apply')
  page = await app.type(page, '#child-name', '赵小明')
  page = await app.type(page, '#child-id', idNumber('20200606'))
  page = await app.tap(page, '#relation-father')
  page = await app.fire(page, '#consent', 'change', { value: true })
  page = await app.tap(page, '#create')
  const create = parent.requests.filter((r) => r.url.endsWith('/api/v1/education/enrollments')).pop()
  expect(JSON.parse(create.body).consent).toBe(true)
  if (create.status === 201) {
    expect(page.instance.data.application.status).toBe('draft')
  } else {
    // no round is open for registration in the demo data today: the refusal is the backend's own message
    expect(create.status).toBeGreaterThanOrEqual(400)
    expect(create.status).toBeLessThan(500)
    expect(parent.modals[parent.modals.length - 1].content).toMatch(/[\u4e00-\u9fff]/)
  }
})
