// The API client against the real backend: sign-in on first need, a lost answer retried with the same
// Idempotency-Key (one booking), offline answered with a retry dialog, translated error messages, a dead
// session replaced by a fresh sign-in.
require('../harness/app') // global wx, Page shim
const client = require('../../app/api/client')
const ui = require('../../app/lib/ui')
const { person, idNumber, api } = require('../harness/people')
const format = require('../../app/lib/format')

async function openTourismSlot() {
  const areas = await api('GET', '/api/v1/tourism/scenic-areas')
  for (const area of areas.body.items) {
    for (const days of [1, 2, 3]) {
      const slots = await api('GET', `/api/v1/tourism/scenic-areas/${area.id}/slots?date=${format.shanghaiDate(days)}`)
      const open = (slots.body.items || []).find((s) => s.status === 'open' && s.remaining >= 1)
      if (open) return open
    }
  }
  throw new Error('no open scenic slot')
}

test('client__signs_in_with_wx_login_on_the_first_call_that_needs_it', async () => {
  const phone = person('first-need')
  await client.get('/api/v1/tourism/scenic-areas') // anonymous: no sign-in
  expect(phone.storage.has('citizen.session')).toBe(false)
  const me = await client.get('/api/v1/me')
  expect(me.level).toBe('wechat')
  const calls = phone.requests.map((r) => new URL(r.url).pathname)
  expect(calls).toEqual(['/api/v1/tourism/scenic-areas', '/api/v1/auth/wechat-login', '/api/v1/me'])
  expect(JSON.parse(phone.requests[1].body).code).toBe(phone.loginCode)
})

test('client__a_booking_whose_answer_was_lost_is_retried_with_the_same_idempotency_key', async () => {
  const phone = person('lost-answer', { language: 'en' })
  await client.post('/api/v1/me/phone', { body: { code: 'lost-answer-phone' } })
  const slot = await openTourismSlot()
  phone.loseNextAnswer = 1 // the booking reaches the server, its answer never reaches the phone
  phone.modalAnswers.push(true) // the user taps "Retry"
  const booking = await client.post('/api/v1/tourism/bookings', { body: { slot_id: slot.id, visitors: [{ name: 'Lucy', id_number: idNumber('19950505') }] } })

  const posts = phone.requests.filter((r) => r.url.endsWith('/api/v1/tourism/bookings'))
  expect(posts).toHaveLength(2)
  expect(posts[0].headers['Idempotency-Key']).toMatch(/^[0-9a-f]{32}$/)
  expect(posts[1].headers['Idempotency-Key']).toBe(posts[0].headers['Idempotency-Key'])
  expect(posts[1].responseHeaders['idempotent-replayed']).toBe('true')
  expect(phone.modals[phone.modals.length - 1]).toEqual({ title: 'Connection problem', content: 'The service took too long to answer. Please retry.' })
  const mine = await api('GET', '/api/v1/me/bookings')
  expect(mine.body.items.map((b) => b.id)).toEqual([booking.id])
})

test('client__offline_offers_a_retry_and_declining_surfaces_a_network_error', async () => {
  const phone = person('offline')
  phone.failNext = 1
  phone.modalAnswers.push(false)
  await expect(client.get('/api/v1/gov/items')).rejects.toBeInstanceOf(client.NetworkError)
  expect(phone.modals[0].content).toBe('网络连接失败，请检查网络后重试。')
  phone.failNext = 1
  phone.modalAnswers.push(true)
  const items = await client.get('/api/v1/gov/items')
  expect(items.items.length).toBeGreaterThan(0)
  expect(phone.requests.filter((r) => r.url.includes('/gov/items')).length).toBe(3)
})

test('client__api_errors_show_the_backends_message_in_the_users_language', async () => {
  const phone = person('error-en', { language: 'en' })
  await client.post('/api/v1/me/phone', { body: { code: 'error-en-phone' } })
  const good = idNumber('19900101')
  const bad = good.slice(0, 17) + (good[17] === '1' ? '2' : '1') // wrong check character
  const err = await client.post('/api/v1/me/identity', { body: { name: 'Li', id_number: bad } }).catch((e) => e)
  expect(err).toBeInstanceOf(client.ApiError)
  expect(err.status).toBe(422)
  await ui.showError(err)
  const shown = phone.modals[phone.modals.length - 1]
  expect(shown.title).toBe('That did not work')
  expect(shown.content).toBe(err.message)
  expect(shown.content).toMatch(/[A-Za-z]/)
  expect(shown.content).not.toMatch(/[\u4e00-\u9fff]/)
})

test('client__verification_required_explains_the_next_step_and_opens_it', async () => {
  const phone = person('needs-phone', { language: 'en' })
  const slot = await openTourismSlot()
  const err = await client.post('/api/v1/tourism/bookings', { body: { slot_id: slot.id, visitors: [{ name: 'A', id_number: idNumber('19800101') }] } }).catch((e) => e)
  expect(err.code).toBe('auth.verification_required')
  expect(err.details.next).toBe('/api/v1/me/phone')
  phone.modalAnswers.push(false)
  await ui.showError(err)
  expect(phone.modals[phone.modals.length - 1].content).toContain('bound phone number')
})

test('client__a_session_the_backend_no_longer_accepts_is_replaced_by_a_fresh_sign_in', async () => {
  const phone = person('stale-session')
  const first = await client.get('/api/v1/me')
  const session = phone.storage.get('citizen.session')
  await api('POST', '/api/v1/auth/logout', { body: {} }) // revokes this session on the server
  phone.storage.set('citizen.session', session)
  const again = await client.get('/api/v1/me')
  expect(again.id).toBe(first.id) // same WeChat user, new session
  expect(phone.storage.get('citizen.session').access_token).not.toBe(session.access_token)
})
