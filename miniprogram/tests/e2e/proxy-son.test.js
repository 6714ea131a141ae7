// Journey: a son signs in, verifies, invites his mother as a family member; she accepts on her phone; he
// switches to "act for" her, books a hall window and applies online for a service with a material upload.
// She can read everything he did in her proxy log. Real backend, real HTTP, only the pages drive it.
const app = require('../harness/app')
const { person, api } = require('../harness/people')
const { signInAndVerify } = require('../harness/journeys')

/** An item that can be applied for online and is handled at a hall window. */
async function onlineItemWithWindow() {
  const list = await api('GET', '/api/v1/gov/items?q=hukou&limit=50')
  for (const summary of list.body.items) {
    const item = await api('GET', `/api/v1/gov/items/${summary.code}`)
    const windows = (item.body.halls || []).flatMap((h) => h.windows || [])
    if (item.body.online && windows.some((w) => !w.items || !w.items.length || w.items.includes(summary.code))) return item.body
  }
  throw new Error('no online hukou item with a hall window in the demo data')
}

test('son__books_a_hall_window_and_applies_for_his_mother_under_a_proxy', async () => {
  const mother = await signInAndVerify('mother', '张秀英', '19560312')
  const motherId = mother.storage.get('citizen.session').user.id
  const son = await signInAndVerify('son', '王建国', '19820615')

  // He invites her (bookings + applications), she accepts the code on her phone
  person('son')
  let page = await app.launch('/pages/me/family')
  page = await app.tap(page, '#create-invite')
  const code = page.instance.data.invitation.invitation_code
  expect(app.text(page)).toContain(code)
  expect(page.comp.querySelector('#invitation qrcode, #invitation').dom.innerHTML).toMatch(/qr-cell/)

  person('mother')
  page = await app.launch('/pages/me/family')
  page = await app.type(page, '#accept-code', code)
  page = await app.tap(page, '#accept-btn')
  expect(app.text(page)).toContain('TA可以为我代办')

  // He switches to acting for her
  person('son')
  page = await app.launch('/pages/me/family')
  expect(app.text(page)).toContain('我可以为TA代办')
  page = await app.tap(page, '#act-for-0')
  expect(app.text(page)).toContain('正在代办')
  expect(son.storage.get('citizen.acting_for').id).toBe(motherId)

  // The item's guide, then a hall window for her
  const item = await onlineItemWithWindow()
  page = await app.launch(`/pages/gov/item?code=${item.code}`)
  expect(app.text(page)).toContain('申请材料')
  expect(app.text(page)).toMatch(/工作日/)
  page = await app.tap(page, '#book-window')
  expect(page.route).toBe('pages/gov/hall-booking')
  expect(app.text(page)).toContain('正在代办')
  for (let i = 0; i < 7 && !page.instance.data.slots.some((s) => s.status === 'open'); i++) page = await app.tap(page, `#date-${i}`)
  const open = page.instance.data.slots.findIndex((s) => s.status === 'open')
  expect(open).toBeGreaterThanOrEqual(0)
  page = await app.tap(page, `#slot-${open}`)
  expect(page.route).toBe('pages/bookings/detail')
  expect(app.text(page)).toContain('已预约')
  const bookingId = page.instance.data.booking.id
  expect(page.instance.data.booking.for_member).toBe(motherId)

  // Apply online for her, with a material from the album
  page = await app.launch(`/pages/gov/apply?item=${item.code}`)
  page = await app.type(page, '#reason', '投靠子女落户')
  const required = item.materials.filter((m) => m.required).map((m) => m.code)
  for (const [i, code] of required.entries()) page = await app.tap(page, i % 2 ? `#file-${code}` : `#photo-${code}`)
  expect(Object.keys(page.instance.data.uploaded).sort()).toEqual([...required].sort())
  page = await app.tap(page, '#submit')
  expect(page.route).toBe('pages/gov/case')
  expect(page.instance.data.c.for_member).toBe(motherId)
  expect(page.instance.data.c.materials).toHaveLength(required.length)
  expect(app.text(page)).toContain(page.instance.data.c.ref)

  // Proxy headers went only where the API accepts them
  const withHeader = son.requests.filter((r) => r.headers['X-Acting-For'])
  expect(withHeader.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual(
    expect.arrayContaining(['POST /api/v1/bookings', 'POST /api/v1/gov/applications']),
  )
  expect(son.requests.filter((r) => /\/gov\/items/.test(r.url) && r.headers['X-Acting-For'])).toHaveLength(0)

  // What she sees: the booking is hers, and the proxy log names what he did
  person('mother')
  const hers = await api('GET', `/api/v1/bookings/${bookingId}`)
  expect(hers.status).toBe(200)
  page = await app.launch('/pages/me/proxy-log')
  const routes = page.instance.data.items.map((e) => `${e.method} ${e.route}`)
  expect(routes.some((r) => r.includes('/api/v1/bookings'))).toBe(true)
  expect(routes.some((r) => r.includes('/api/v1/gov/applications'))).toBe(true)
  page = await app.launch('/pages/timeline/index')
  page = await app.tap(page, '#tab-cases')
  expect(app.text(page)).toContain(item.name)
})
