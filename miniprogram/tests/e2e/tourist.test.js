// Journey: a tourist, phone in English, browses scenic areas nearest first without signing in, sees the live
// crowd level and its age, and books timed entry for two real-name visitors; the phone step is explained
// when the booking needs it. Everything goes through the pages to the real backend.
const app = require('../harness/app')
const { person, idNumber, api } = require('../harness/people')

test('tourist__books_entry_for_two_in_english', async () => {
  const phone = person('tourist', { language: 'en' })

  let page = await app.launch('/pages/tourism/list')
  expect(app.text(page)).toContain('Nearest first')
  const areas = page.instance.data.areas
  expect(areas.length).toBeGreaterThan(3)
  const distances = areas.map((a) => a.distance_m)
  expect(distances.every((d) => typeof d === 'number')).toBe(true)
  expect(distances).toEqual([...distances].sort((a, b) => a - b))
  // English content from the backend, and nobody signed in yet
  expect(app.text(page)).toMatch(/Mountain|Temple|Gorges/)
  expect(phone.storage.has('citizen.session')).toBe(false)

  page = await app.tap(page, `#area-${areas[0].code}`)
  expect(page.route).toBe('pages/tourism/detail')
  expect(app.text(page)).toMatch(/updated \d+ (s|min) ago/)
  expect(page.instance.data.slots.length).toBeGreaterThan(0)
  const open = page.instance.data.slots.findIndex((s) => s.status === 'open')
  expect(open).toBeGreaterThanOrEqual(0)

  page = await app.tap(page, `#slot-${open}`)
  expect(page.route).toBe('pages/tourism/book')
  page = await app.type(page, '#visitor-0-name', 'Li Lei')
  page = await app.type(page, '#visitor-0-id', idNumber('19900101'))
  page = await app.tap(page, '#add-visitor')
  page = await app.type(page, '#visitor-1-name', 'Han Meimei')
  page = await app.type(page, '#visitor-1-id', idNumber('19920202'))
  expect(app.text(page)).toContain('Book entry, people: 2')

  // First need of an account: wx.login happens now; the booking needs a bound phone, which is explained.
  phone.modalAnswers.push(true)
  page = await app.tap(page, '#submit')
  expect(phone.storage.get('citizen.session').access_token).toBeTruthy()
  const explained = phone.modals[phone.modals.length - 1]
  expect(explained.content).toContain('bound phone number')
  expect(page.route).toBe('pages/me/verify')

  page = await app.fire(page, '#bind-phone', 'getphonenumber', { code: 'tourist-phone-code', errMsg: 'getPhoneNumber:ok' })
  expect(page.route).toBe('pages/tourism/book')
  page = await app.tap(page, '#submit')
  expect(page.route).toBe('pages/bookings/detail')
  const text = app.text(page)
  expect(text).toContain('Confirmed')
  expect(text).toContain('People 2')
  expect(text).not.toContain('Li Lei') // visitors are masked by the backend
  const qr = page.comp.querySelector('#check-in-qr')
  expect(qr.instance.data.rows.length).toBeGreaterThan(20)
  expect((qr.dom.innerHTML.match(/qr-cell [\w-]*on\b/g) || []).length).toBeGreaterThan(100)

  // What the backend holds: one booking for two, made in English
  const mine = await api('GET', '/api/v1/me/bookings')
  expect(mine.body.items).toHaveLength(1)
  expect(mine.body.items[0].party_size).toBe(2)
  const submits = phone.requests.filter((r) => r.url.endsWith('/api/v1/tourism/bookings'))
  expect(submits[0].headers['Accept-Language']).toBe('en')
  expect(submits[0].status).toBe(403)
  expect(submits[1].status).toBe(201)
})

test('tourism_list__location_refused_still_lists_the_areas_and_offers_to_allow_it', async () => {
  const phone = person('no-location', { language: 'en' })
  phone.locationDenied = true
  let page = await app.launch('/pages/tourism/list')
  expect(app.find(page, '#location-refused')).toBeTruthy()
  expect(app.text(page)).toContain('default order')
  expect(page.instance.data.areas.length).toBeGreaterThan(3)
  expect(page.instance.data.areas.every((a) => a.distance_m === null || a.distance_m === undefined)).toBe(true)
  expect(phone.requests[0].url).not.toContain('near=')
  phone.locationDenied = false // the user allows it in the settings page
  page = await app.tap(page, '#allow-location')
  expect(page.instance.data.located).toBe(true)
  expect(phone.requests[phone.requests.length - 1].url).toContain('near=')
})

test('search__pinyin_initials_find_the_scenic_area', async () => {
  person('searcher')
  let page = await app.launch('/pages/search/index?q=wws')
  expect(app.text(page)).toContain('王屋山')
  page = await app.tap(page, '#result-0')
  expect(page.route).toBe('pages/tourism/detail')
})
