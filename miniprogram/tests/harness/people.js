// People in the journeys: each has their own phone (storage, WeChat identity, language) and helpers to read
// the backend directly (for assertions only; the journeys themselves go through the pages).
const harness = require('./wx')

let seq = 0

/** A valid 18-character resident ID number (GB 11643 check character) for a Jiyuan birth. */
function idNumber(birth) {
  seq++
  const body = `419001${birth}${String(100 + ((seq * 37 + process.pid) % 900)).padStart(3, '0')}`
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = body.split('').reduce((acc, d, i) => acc + Number(d) * weights[i], 0)
  return body + '10X98765432'[sum % 11]
}

/** Switch to this person's phone; the first use sets the backend's address and the phone's language. */
function person(name, { language = 'zh_CN' } = {}) {
  const phone = harness.usePhone(name)
  if (!phone.storage.has('citizen.api_base')) {
    phone.storage.set('citizen.api_base', process.env.MINI_API_BASE)
    phone.language = language
  }
  return phone
}

/** GET/POST the backend as this phone's signed-in user (assertions and staff actions only). */
async function api(method, path, { body, token, headers = {} } = {}) {
  const session = harness.phone().storage.get('citizen.session')
  const auth = token || (session && session.access_token)
  const res = await harness.send(
    `${process.env.MINI_API_BASE}${path}`,
    method,
    { ...(auth ? { Authorization: `Bearer ${auth}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body ? Buffer.from(JSON.stringify(body)) : undefined,
  )
  const text = res.text
  let json
  try {
    json = JSON.parse(text)
  } catch (err) {
    json = text
  }
  return { status: res.statusCode, body: json, headers: res.headers }
}

module.exports = { person, idNumber, api }
