// Journey: a resident (in English) orders a home visit and cancels it from the orders list after a confirm
// dialog; the provider's platform (the eldercare sandbox) is told. A second order the provider has started
// meanwhile is refused with the backend's translated 409 (care.order_cancel_too_late) and stays in service.
const app = require('../harness/app')
const { person, api } = require('../harness/people')
const { signInAndVerify } = require('../harness/journeys')

const SANDBOX = '/sandbox/eldercare'

/** The platform's copy of our order, once the outbox has dispatched it. */
async function platformOrder(orderId) {
  for (let i = 0; i < 100; i++) {
    const list = await api('GET', `${SANDBOX}/api/orders`)
    const items = Array.isArray(list.body) ? list.body : list.body.items || list.body.orders || []
    const found = items.find((o) => o.order_id === orderId)
    if (found) return found
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`order ${orderId} never reached the eldercare platform`)
}

/** Wait until the platform's copy has this status. */
async function platformStatus(ref, status) {
  let order
  for (let i = 0; i < 300; i++) {
    order = (await api('GET', `${SANDBOX}/api/orders/${ref}`)).body
    if (order.status === status) return order
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`platform order ${ref} is ${order && order.status}, not ${status}`)
}

async function orderHomeVisit(page) {
  page = await app.type(page, '#address', '济源市沁园路88号3单元')
  const before = page.instance.data.orders.length
  page = await app.tap(page, '#order')
  expect(page.instance.data.orders.length).toBe(before + 1)
  return page
}

test('resident__cancels_a_home_visit_and_a_started_one_is_refused_in_english', async () => {
  await signInAndVerify('grandma', '王桂兰', '19500505')
  const phone = person('grandma')
  phone.language = 'en'
  let page = await app.launch('/pages/community/index')
  page = await app.tap(page, '#join-0')
  page = await app.launch('/pages/care/eldercare')
  expect(page.instance.data.services.length).toBeGreaterThan(0)

  // Cancel before the service starts: confirm dialog, then the order is cancelled here and at the provider
  page = await orderHomeVisit(page)
  const first = page.instance.data.orders.find((o) => o.status !== 'cancelled')
  const index = page.instance.data.orders.indexOf(first)
  const ref = (await platformOrder(String(first.id))).platform_ref
  phone.modalAnswers.push(false) // the user thinks again
  page = await app.tap(page, `#cancel-order-${index}`)
  expect(phone.requests.some((r) => r.url.endsWith(`/orders/${first.id}/cancel`))).toBe(false)
  phone.modalAnswers.push(true)
  page = await app.tap(page, `#cancel-order-${index}`)
  const confirm = phone.modals[phone.modals.length - 1]
  expect(confirm.content).toContain('Cancel this home visit?')
  expect(page.instance.data.orders[index].status).toBe('cancelled')
  expect(page.comp.querySelector(`#cancel-order-${index}`)).toBeFalsy()
  expect((await api('GET', `/api/v1/care/eldercare/orders/${first.id}`)).body.status).toBe('cancelled')
  // The provider's platform is told (through the outbox, delivered by the backend's own ticker)
  expect((await platformStatus(ref, 'cancelled')).status).toBe('cancelled')

  // The provider starts the next one while the list is on screen: the cancel is refused, in English
  page = await orderHomeVisit(page)
  const second = page.instance.data.orders.find((o) => o.id !== first.id && o.status !== 'cancelled')
  const at = page.instance.data.orders.indexOf(second)
  const ref2 = (await platformOrder(String(second.id))).platform_ref
  // The sandbox also moves orders on its own: step from wherever it is to in_service.
  const steps = ['received', 'accepted', 'assigned', 'en_route', 'in_service']
  const now = (await api('GET', `${SANDBOX}/api/orders/${ref2}`)).body.status
  for (const status of steps.slice(steps.indexOf(now) + 1)) await api('POST', `${SANDBOX}/__advance/${ref2}`, { body: { status } })
  await platformStatus(ref2, 'in_service')
  for (let i = 0; i < 50 && (await api('GET', `/api/v1/care/eldercare/orders/${second.id}`)).body.status !== 'in_service'; i++) {
    await new Promise((r) => setTimeout(r, 100))
  }
  expect((await api('GET', `/api/v1/care/eldercare/orders/${second.id}`)).body.status).toBe('in_service')
  expect(app.find(page, `#cancel-order-${at}`)).toBeTruthy() // the list was loaded before the provider moved
  phone.modalAnswers.push(true, true)
  page = await app.tap(page, `#cancel-order-${at}`)
  const refused = phone.requests.find((r) => r.url.endsWith(`/orders/${second.id}/cancel`))
  expect(refused.status).toBe(409)
  expect(phone.modals.map((m) => m.content)).toContain(
    'The service has already started (or ended), so this order can no longer be cancelled.',
  )
  expect(page.instance.data.orders[at].status).toBe('in_service')
  expect(page.comp.querySelector(`#cancel-order-${at}`)).toBeFalsy()
})
