#!/usr/bin/env node
// Compiles every page's and component's WXML and WXSS with WeChat's own compilers (wcc / wcsc from the
// miniprogram-compiler package), renders each page template once with empty data, and fails on any error.
const path = require('path')
const fs = require('fs')
const { JSDOM } = require('jsdom')
const { wxmlToJs } = require('miniprogram-compiler')
// wcsc's wrapper; it returns (does not throw) an Error when a file does not compile.
const wcsc = require('miniprogram-compiler/src/wcsc')

// The compilers' output expects a WebView: give it jsdom's window, document and navigator.
const { window } = new JSDOM('<!doctype html><html><head></head><body></body></html>')
Object.assign(global, { window, document: window.document, navigator: window.navigator, __wxAppCode__: {} })
window.__webview_engine_version__ = 0.02

const app = path.join(__dirname, '..', 'app')
const pages = JSON.parse(fs.readFileSync(path.join(app, 'app.json'), 'utf8')).pages
const problems = []

let gwx
try {
  gwx = new Function(wxmlToJs(app))()
} catch (err) {
  problems.push(`wcc: ${err.message}`)
}
/** @param {string} file without extension, relative to app/ */
function compileWxss(file) {
  const result = wcsc(app, [file])
  if (result instanceof Error) problems.push(`${file}.wxss: ${result.message}`)
}

const targets = [...pages, 'components/qrcode/index']
for (const page of targets) {
  for (const ext of ['js', 'json', 'wxml']) {
    if (!fs.existsSync(path.join(app, `${page}.${ext}`))) problems.push(`${page}.${ext} is missing`)
  }
  if (gwx) {
    try {
      const render = gwx(`${page}.wxml`)
      if (typeof render !== 'function') throw new Error('no template generated')
      render({ t: {} }, {}, {})
    } catch (err) {
      problems.push(`${page}.wxml: ${err.message}`)
    }
  }
  if (fs.existsSync(path.join(app, `${page}.wxss`))) compileWxss(page)
}
compileWxss('app')

if (problems.length) {
  console.error(problems.join('\n'))
  process.exit(1)
}
console.log(`compiled ${targets.length} pages and components (WXML + WXSS)`)
