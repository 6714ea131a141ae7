// The two catalogs have the same keys and placeholders, and every message key the pages use exists.
const fs = require('fs')
const path = require('path')
const zh = require('../../app/locales/zh_CN')
const en = require('../../app/locales/en')

const APP = path.join(__dirname, '..', '..', 'app')

function sources(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory() && entry.name !== 'miniprogram_npm') sources(full, out)
    else if (/\.(js|wxml)$/.test(entry.name) && !full.includes(`${path.sep}locales${path.sep}`)) out.push(full)
  }
  return out
}

test('locales__both_languages_have_the_same_keys_and_placeholders', () => {
  expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort())
  const holes = (s) => (s.match(/\{\w+\}/g) || []).sort()
  for (const key of Object.keys(zh)) expect([key, holes(en[key])]).toEqual([key, holes(zh[key])])
})

test('locales__every_key_used_by_a_page_exists', () => {
  const literal = new Set()
  const prefixes = new Set()
  for (const file of sources(APP)) {
    const text = fs.readFileSync(file, 'utf8')
    for (const m of text.matchAll(/t\['([\w.]+)'\]/g)) literal.add(m[1])
    for (const m of text.matchAll(/t\['([\w.]+\.)' \+/g)) prefixes.add(m[1])
    for (const m of text.matchAll(/(?:i18n\.t|ui\.toast)\('([\w.]+)'/g)) literal.add(m[1])
    for (const m of text.matchAll(/i18n\.t\(`([\w.]+\.)\$\{/g)) prefixes.add(m[1])
    for (const m of text.matchAll(/titleKey: '([\w.]+)'/g)) literal.add(m[1])
  }
  expect(literal.size).toBeGreaterThan(100)
  expect([...literal].filter((k) => !(k in zh))).toEqual([])
  expect([...prefixes].filter((p) => !Object.keys(zh).some((k) => k.startsWith(p)))).toEqual([])
})

test('locales__enumerated_states_of_the_api_all_have_labels', () => {
  for (const s of ['held', 'requested', 'confirmed', 'checked_in', 'cancelled', 'no_show', 'expired', 'denied']) expect(zh[`booking.status.${s}`]).toBeTruthy()
  for (const s of ['green', 'yellow', 'orange', 'red']) expect(en[`tourism.crowd.${s}`]).toBeTruthy()
  for (const s of ['open', 'in_progress', 'resolved', 'closed', 'duplicate']) expect(en[`community.status.${s}`]).toBeTruthy()
})
