// A QR code drawn with views (no canvas: it renders the same in DevTools, on phones and in the page tests).
// The matrix comes from qrcode-generator (built into miniprogram_npm by DevTools' "构建 npm").
const qrcode = require('qrcode-generator')

/**
 * The QR matrix of a text, one array of 0/1 per row.
 * @param {string} text
 * @returns {number[][]}
 */
function matrix(text) {
  const qr = qrcode(0, 'M')
  qr.addData(text)
  qr.make()
  const count = qr.getModuleCount()
  const rows = []
  for (let r = 0; r < count; r++) {
    const row = []
    for (let c = 0; c < count; c++) row.push(qr.isDark(r, c) ? 1 : 0)
    rows.push(row)
  }
  return rows
}

Component({
  properties: {
    text: { type: String, value: '' },
    label: { type: String, value: '' },
  },
  data: { rows: /** @type {number[][]} */ ([]) },
  observers: {
    /** @param {string} text */
    text(text) {
      this.setData({ rows: text ? matrix(text) : [] })
    },
  },
})

module.exports = { matrix }
