// A QR code drawn with views (no canvas: it renders the same in DevTools, on phones and in the page tests).
const { matrix } = require('../../lib/qr')

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
