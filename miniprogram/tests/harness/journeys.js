// Steps several journeys share, done through the pages like a user.
const app = require('./app')
const { person, idNumber } = require('./people')

/** Sign in on this person's phone and take them to real-name verification through the pages. */
async function signInAndVerify(name, realName, birth) {
  const phone = person(name)
  let page = await app.launch('/pages/me/index')
  page = await app.tap(page, '#sign-in')
  expect(app.text(page)).toContain('微信登录')
  page = await app.tap(page, '#go-verify')
  expect(page.route).toBe('pages/me/verify')
  page = await app.fire(page, '#bind-phone', 'getphonenumber', { code: `${name}-phone`, errMsg: 'getPhoneNumber:ok' })
  expect(app.text(page)).toContain('已绑定手机')
  page = await app.type(page, '#identity-name', realName)
  page = await app.type(page, '#identity-id', idNumber(birth))
  page = await app.tap(page, '#verify-identity')
  expect(page.instance.data.level).toBe('real_name')
  return phone
}

/** `proxy` invites `represented` (with these scopes) and `represented` accepts on their own phone. */
async function grantProxy(proxy, represented, scopes) {
  person(proxy)
  let page = await app.launch('/pages/me/family')
  for (const s of page.instance.data.scopes) if (s.on !== scopes.includes(s.code)) page = await app.tap(page, `#scope-${s.code}`)
  page = await app.tap(page, '#create-invite')
  const code = page.instance.data.invitation.invitation_code
  person(represented)
  page = await app.launch('/pages/me/family')
  page = await app.type(page, '#accept-code', code)
  page = await app.tap(page, '#accept-btn')
  person(proxy)
  page = await app.launch('/pages/me/family')
  page = await app.tap(page, '#act-for-0')
  return page
}

module.exports = { signInAndVerify, grantProxy }
