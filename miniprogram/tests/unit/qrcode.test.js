// The check-in QR code: the matrix is qrcode-generator's for that text, and the component draws it.
const path = require('path')
const simulate = require('miniprogram-simulate')
const qrcode = require('qrcode-generator')
require('../harness/app') // global wx
const { matrix } = require('../../app/lib/qr')

test('qrcode__matrix_encodes_the_text', () => {
  const text = 'CHK1.01a2316c5c84.abcdef0123456789'
  const rows = matrix(text)
  const qr = qrcode(0, 'M')
  qr.addData(text)
  qr.make()
  expect(rows).toHaveLength(qr.getModuleCount())
  expect(rows[3][3]).toBe(1) // inside a finder pattern
  expect(rows.flat().join('')).toBe(Array.from({ length: qr.getModuleCount() ** 2 }, (_, i) => (qr.isDark(Math.floor(i / qr.getModuleCount()), i % qr.getModuleCount()) ? 1 : 0)).join(''))
  expect(matrix(text + text).length).toBeGreaterThan(rows.length)
})

test('qrcode__component_draws_one_view_per_module', () => {
  const id = simulate.load(path.join(__dirname, '..', '..', 'app', 'components', 'qrcode', 'index'), { rootPath: path.join(__dirname, '..', '..', 'app') })
  const comp = simulate.render(id, { text: 'hello', label: 'code' })
  comp.attach(document.createElement('parent-wrapper'))
  const size = matrix('hello').length
  expect(comp.dom.querySelectorAll('wx-view').length).toBe(1 + size + size * size)
})
