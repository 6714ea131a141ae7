// Renders the mini-program's pages with miniprogram-simulate (WeChat's official WXML compiler) and drives
// them like a user: a shim turns Page() into Component(), and wx.navigateTo & co. open the next page.
const path = require('path')
const simulate = require('miniprogram-simulate')
const harness = require('./wx')

const APP = path.join(__dirname, '..', '..', 'app')
global.wx = harness.wx
global.getApp = () => ({ applyTabBar() {} })
global.getCurrentPages = () => stack.map((p) => p.instance)

/** Page() as Component(): the page's functions become methods, `data` stays data. */
global.Page = (definition) => {
  const methods = {}
  for (const [key, value] of Object.entries(definition)) if (typeof value === 'function') methods[key] = value
  global.Component({ data: definition.data || {}, methods })
}

/** @type {Array<{ route: string, comp: any, instance: any }>} */
const stack = []
const loaded = {}

function parseUrl(url) {
  const [route, qs = ''] = url.replace(/^\//, '').split('?')
  const query = {}
  for (const pair of qs.split('&').filter(Boolean)) {
    const [k, v = ''] = pair.split('=')
    query[decodeURIComponent(k)] = decodeURIComponent(v)
  }
  return { route, query }
}

/** Wait until no HTTP call is running and the pages' promise chains have run. */
async function settle() {
  let quiet = 0
  for (let i = 0; i < 2000 && quiet < 3; i++) {
    await new Promise((r) => setTimeout(r, 5))
    quiet = harness.pending() === 0 ? quiet + 1 : 0
  }
}

async function open(url) {
  const { route, query } = parseUrl(url)
  if (!loaded[route]) loaded[route] = simulate.load(path.join(APP, route), { rootPath: APP, compiler: 'official' })
  const comp = simulate.render(loaded[route])
  comp.attach(document.createElement('parent-wrapper'))
  const instance = comp.instance
  instance.route = route
  instance.options = query
  const page = { route, comp, instance }
  stack.push(page)
  if (instance.onLoad) instance.onLoad(query)
  if (instance.onShow) instance.onShow()
  await settle()
  return page
}

let navigation = Promise.resolve()
harness.router.navigate = (kind, url) => {
  navigation = navigation.then(async () => {
    if (kind === 'navigateBack') {
      stack.pop()
      const top = stack[stack.length - 1]
      if (top && top.instance.onShow) top.instance.onShow()
      return
    }
    if (kind === 'redirectTo') stack.pop()
    if (kind === 'switchTab' || kind === 'reLaunch') stack.length = 0
    await open(url)
  })
}

/** The page on top of the stack, after pending navigation and requests. */
async function top() {
  await settle()
  await navigation
  await settle()
  return stack[stack.length - 1]
}

function find(page, selector) {
  const node = page.comp.querySelector(selector)
  if (!node) throw new Error(`${page.route}: nothing matches ${selector}\n${text(page)}`)
  return node
}

/** Tap the element, then wait for what it started. */
async function tap(page, selector, detail) {
  find(page, selector).dispatchEvent('tap', { detail: detail || {} })
  return top()
}

/** Fire any event (input, change, getphonenumber) with its detail. */
async function fire(page, selector, event, detail) {
  find(page, selector).dispatchEvent(event, { detail })
  return top()
}

async function type(page, selector, value) {
  return fire(page, selector, 'input', { value })
}

function text(page) {
  return page.comp.dom.textContent.replace(/\s+/g, ' ').trim()
}

async function launch(url) {
  stack.length = 0
  await open(url)
  return top()
}

module.exports = { launch, open, top, tap, fire, type, text, find, settle, stack, harness, APP }
