// Journey: a daughter acting for her father books him a doctor (with his medical-data consent, given under
// her care proxy) and presses the emergency-call button for him.
const app = require('../harness/app')
const { person, api } = require('../harness/people')
const { signInAndVerify, grantProxy } = require('../harness/journeys')

test('daughter__books_a_doctor_for_her_father_and_calls_for_help', async () => {
  const father = await signInAndVerify('father', '李德福', '19480808')
  const fatherId = father.storage.get('citizen.session').user.id
  const daughter = await signInAndVerify('daughter', '李梅', '19780909')
  let page = await grantProxy('daughter', 'father', ['bookings', 'care'])
  expect(app.text(page)).toContain('正在代办')

  page = await app.launch('/pages/care/index')
  expect(page.instance.data.hospitals.length).toBeGreaterThan(0)
  page = await app.tap(page, '#hospital-0')
  page = await app.tap(page, '#department-0')
  expect(page.instance.data.doctors.length).toBeGreaterThan(0)
  page = await app.tap(page, '#doctor-0')
  expect(page.route).toBe('pages/care/doctor')
  const bookable = (p) => p.instance.data.slots.findIndex((s) => s.status === 'open' && s.remaining > 0)
  for (let i = 1; i < 7 && bookable(page) < 0; i++) page = await app.tap(page, `#date-${i}`)
  expect(bookable(page)).toBeGreaterThanOrEqual(0)
  daughter.modalAnswers.push(true) // his consent to medical-data processing
  page = await app.tap(page, `#slot-${bookable(page)}`)
  expect(daughter.modals.some((m) => m.content.includes('医院'))).toBe(true)
  expect(page.route).toBe('pages/bookings/detail')
  expect(page.instance.data.booking.for_member).toBe(fatherId)
  expect(app.text(page)).toContain('已预约')

  person('father')
  expect((await api('GET', '/api/v1/care/consent')).body.granted).toBe(true)

  person('daughter')
  page = await app.launch('/pages/care/index')
  page = await app.type(page, '#emergency-address', '济源市沁园路88号3单元')
  daughter.modalAnswers.push(true)
  page = await app.tap(page, '#emergency')
  const sent = daughter.requests.find((r) => r.url.endsWith('/api/v1/care/eldercare/emergency'))
  expect(sent.headers['X-Acting-For']).toBe(fatherId)
  expect([200, 201, 202]).toContain(sent.status)
  expect(app.find(page, '#emergency-sent')).toBeTruthy()
  // Asked only after the call went out: her own consent to the emergency template (the next steps by WeChat)
  const asked = daughter.requests.findLastIndex((r) => r.url.endsWith('/api/v1/me/subscriptions') && String(r.body).includes('TPL_CARE_SOS'))
  expect(asked).toBeGreaterThan(daughter.requests.indexOf(sent))
  const consents = (await api('GET', '/api/v1/me/subscriptions')).body.items
  expect(consents).toEqual(expect.arrayContaining([expect.objectContaining({ template_id: 'TPL_CARE_SOS', remaining: 1 })]))
})
