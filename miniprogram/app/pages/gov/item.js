// One service item: materials, conditions, legal and promised time limits, fees, the halls that handle it;
// book a hall window or apply online.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')
const format = require('../../lib/format')

createPage({
  titleKey: 'gov.title',
  data: { code: '', item: /** @type {any} */ (null), fee: '' },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ code: query.code || '' })
    this.load()
  },
  async load() {
    try {
      const item = await client.get('/api/v1/gov/items/{code}', { params: { code: this.data.code }, query: /** @type {any} */ ({ lang: i18n.locale() }) })
      const fee = item.fee_cents ? format.yuan(item.fee_cents) : i18n.t('gov.free')
      this.setData({
        item: {
          ...item,
          legal: item.legal_limit_days ? i18n.t('gov.legal_days', { n: item.legal_limit_days }) : '',
          promised: item.promised_limit_days ? i18n.t('gov.promised_days', { n: item.promised_limit_days }) : '',
        },
        fee,
      })
      wx.setNavigationBarTitle({ title: String(item.name || '') })
    } catch (err) {
      ui.showError(err)
    }
  },
  bookWindow() {
    wx.navigateTo({ url: `/pages/gov/hall-booking?item=${this.data.code}` })
  },
  apply() {
    wx.navigateTo({ url: `/pages/gov/apply?item=${this.data.code}` })
  },
})
