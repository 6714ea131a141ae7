// QR matrices from qrcode-generator (DevTools' "构建 npm" puts it in miniprogram_npm).
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

module.exports = { matrix }
