// Journey: a grandmother turns on elder mode in Me; it is saved to her profile and the home page becomes
// the simplified one (large tiles for the few most-used services), also on a new phone after signing in.
const app = require('../harness/app')
const { person, api } = require('../harness/people')

test('elder_mode__renders_the_simplified_home', async () => {
  person('grandma')
  let page = await app.launch('/pages/home/index')
  expect(page.comp.querySelector('#domains')).toBeTruthy()
  expect(page.comp.querySelector('#elder-home')).toBeFalsy()

  page = await app.launch('/pages/me/index')
  page = await app.tap(page, '#sign-in')
  page = await app.fire(page, '#elder-mode', 'change', { value: true })
  expect((await api('GET', '/api/v1/me')).body.elder_mode).toBe(true)

  page = await app.launch('/pages/home/index')
  expect(page.comp.querySelector('#elder-home')).toBeTruthy()
  expect(page.comp.querySelector('#domains')).toBeFalsy()
  expect(page.comp.dom.innerHTML).toMatch(/class="[^"]*elder/)
  const text = app.text(page)
  for (const label of ['我的办事', '社区通知', '随手拍', '家人代办']) expect(text).toContain(label)

  // The same person on a new phone: elder mode comes back with her profile
  const code = person('grandma').loginCode
  const fresh = person('grandma-new-phone')
  fresh.loginCode = code
  page = await app.launch('/pages/me/index')
  page = await app.tap(page, '#sign-in')
  page = await app.launch('/pages/home/index')
  expect(page.comp.querySelector('#elder-home')).toBeTruthy()

  // A tile opens its page
  page = await app.tap(page, '#elder-community')
  expect(page.route).toBe('pages/community/index')
})
