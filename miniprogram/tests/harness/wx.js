// The `wx` object for tests: platform APIs (storage, login, modals, location, media pickers) are simulated per
// "phone" (persona), while wx.request and wx.uploadFile send real HTTP to the backend under test.
const http = require('http')
const fs = require('fs')
const path = require('path')

/** @type {Record<string, any>} */
const phones = {}
let current = 'default'

function phone() {
  if (!phones[current]) {
    phones[current] = {
      storage: new Map(),
      language: 'zh_CN',
      loginCode: `${current}-${process.pid}-${Date.now()}`,
      location: { latitude: 35.0906, longitude: 112.602 },
      locationDenied: false,
      chosenLocation: { latitude: 35.0953, longitude: 112.5869, name: '沁园路', address: '济源市沁园路' },
      media: [path.join(__dirname, '..', 'fixtures', 'pothole.png')],
      files: [path.join(__dirname, '..', 'fixtures', 'material.pdf')],
      subscribe: 'accept',
      modals: [],
      modalAnswers: [],
      toasts: [],
      requests: [],
      failNext: 0,
      loseNextAnswer: 0,
    }
  }
  return phones[current]
}

// No keep-alive: an idle pooled socket would keep the jest worker from exiting.
const agent = new http.Agent({ keepAlive: false })

let inflight = 0
/** How many HTTP calls are still running (the page harness waits for zero). */
function pending() {
  return inflight
}

/**
 * @param {string} url
 * @param {string} method
 * @param {Record<string, string>} headers
 * @param {Buffer | undefined} body
 * @returns {Promise<{ statusCode: number, headers: Record<string, any>, text: string }>}
 */
function send(url, method, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ statusCode: res.statusCode || 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.setTimeout(30000, () => req.destroy(new Error('timeout')))
    if (body) req.write(body)
    req.end()
  })
}

function parse(text) {
  try {
    return JSON.parse(text)
  } catch (err) {
    return text
  }
}

/**
 * Runs one HTTP exchange with the simulated network faults: `failNext` drops the request before it leaves,
 * `loseNextAnswer` sends it but reports a timeout (the answer is lost on the way back).
 */
function exchange(record, run, options) {
  const p = phone()
  p.requests.push(record)
  inflight++
  const finish = (fn) => {
    inflight--
    fn()
  }
  if (p.failNext > 0) {
    p.failNext--
    setTimeout(() => finish(() => options.fail && options.fail({ errMsg: 'request:fail net::ERR_INTERNET_DISCONNECTED' })), 0)
    return
  }
  const lose = p.loseNextAnswer > 0
  if (lose) p.loseNextAnswer--
  run().then(
    (res) => {
      record.status = res.statusCode
      record.responseHeaders = res.headers
      finish(() => {
        if (lose) options.fail && options.fail({ errMsg: 'request:fail timeout' })
        else options.success && options.success(res)
      })
    },
    (err) => finish(() => options.fail && options.fail({ errMsg: `request:fail ${err.message}` })),
  )
}

function request(options) {
  const method = (options.method || 'GET').toUpperCase()
  const headers = { ...(options.header || {}) }
  let body
  if (options.data !== undefined && method !== 'GET') {
    body = Buffer.from(typeof options.data === 'string' ? options.data : JSON.stringify(options.data))
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json'
  }
  const record = { method, url: options.url, headers, body: body ? body.toString() : undefined }
  exchange(record, async () => {
    const res = await send(options.url, method, headers, body)
    return { statusCode: res.statusCode, headers: res.headers, header: res.headers, data: parse(res.text) }
  }, options)
}

function uploadFile(options) {
  const boundary = `----mini${Date.now()}`
  const parts = []
  for (const [k, v] of Object.entries(options.formData || {})) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`))
  }
  const file = fs.readFileSync(options.filePath)
  const filename = path.basename(options.filePath)
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${options.name}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`))
  parts.push(file, Buffer.from(`\r\n--${boundary}--\r\n`))
  const body = Buffer.concat(parts)
  const headers = { ...(options.header || {}), 'Content-Type': `multipart/form-data; boundary=${boundary}` }
  const record = { method: 'POST', url: options.url, headers, upload: filename }
  exchange(record, async () => {
    const res = await send(options.url, 'POST', headers, body)
    return { statusCode: res.statusCode, data: res.text }
  }, options)
}

const later = (fn, value) => setTimeout(() => fn && fn(value), 0)

/** @type {{ navigate: (kind: string, url: string) => void }} */
const router = { navigate: () => {} }

const wx = {
  request,
  uploadFile,
  getStorageSync: (key) => (phone().storage.has(key) ? phone().storage.get(key) : ''),
  setStorageSync: (key, value) => phone().storage.set(key, JSON.parse(JSON.stringify(value))),
  removeStorageSync: (key) => phone().storage.delete(key),
  clearStorageSync: () => phone().storage.clear(),
  getSystemInfoSync: () => ({ language: phone().language, platform: 'devtools' }),
  login: (o) => later(o.success, { code: phone().loginCode, errMsg: 'login:ok' }),
  showModal: (o) => {
    const p = phone()
    p.modals.push({ title: o.title, content: o.content })
    const answer = p.modalAnswers.length ? p.modalAnswers.shift() : false
    later(o.success, { confirm: answer, cancel: !answer })
  },
  showToast: (o) => phone().toasts.push(o.title),
  showLoading: () => {},
  hideLoading: () => {},
  setNavigationBarTitle: () => {},
  setTabBarItem: () => {},
  stopPullDownRefresh: () => {},
  setClipboardData: (o) => later(o.success, {}),
  makePhoneCall: () => {},
  previewImage: () => {},
  getLocation: (o) => {
    const p = phone()
    if (p.locationDenied) later(o.fail, { errMsg: 'getLocation:fail auth deny' })
    else later(o.success, { ...p.location, accuracy: 30 })
  },
  chooseLocation: (o) => later(o.success, phone().chosenLocation),
  chooseMedia: (o) => later(o.success, { type: 'image', tempFiles: phone().media.map((tempFilePath) => ({ tempFilePath, size: fs.statSync(tempFilePath).size, fileType: 'image' })) }),
  chooseMessageFile: (o) => later(o.success, { tempFiles: phone().files.map((p) => ({ path: p, name: path.basename(p), size: fs.statSync(p).size, type: 'file' })) }),
  requestSubscribeMessage: (o) => later(o.success, Object.fromEntries(o.tmplIds.map((id) => [id, phone().subscribe]))),
  openSetting: (o) => later(o && o.success, { authSetting: {} }),
  navigateTo: (o) => router.navigate('navigateTo', o.url),
  redirectTo: (o) => router.navigate('redirectTo', o.url),
  switchTab: (o) => router.navigate('switchTab', o.url),
  reLaunch: (o) => router.navigate('reLaunch', o.url),
  navigateBack: () => router.navigate('navigateBack', ''),
}

module.exports = {
  wx,
  send,
  router,
  pending,
  /** Switch to another person's phone (own storage, WeChat identity, pickers). */
  usePhone(name) {
    current = name
    return phone()
  },
  phone,
  reset() {
    for (const key of Object.keys(phones)) delete phones[key]
    current = 'default'
  },
}
