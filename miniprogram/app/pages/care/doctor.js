// A doctor's slots by day (放号 rules from the hospital); booking one needs the separate consent to medical
// data processing once, then goes through the one booking engine. For a parent under a proxy, it is theirs.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')
const format = require('../../lib/format')
const config = require('../../config')

createPage({
  titleKey: 'care.doctor',
  data: { id: '', name: '', dates: /** @type {{ d: string }[]} */ ([]), date: '', slots: /** @type {any[]} */ ([]), idempotencyKey: '' },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    const dates = [0, 1, 2, 3, 4, 5, 6].map((d) => ({ d: format.shanghaiDate(d) }))
    this.setData({ id: query.id || '', name: query.name || '', dates, date: dates[1].d, idempotencyKey: client.newIdempotencyKey() })
    this.loadSlots()
  },
  async loadSlots() {
    try {
      const list = await client.get('/api/v1/care/doctors/{doctor_id}/slots', { params: { doctor_id: this.data.id }, query: /** @type {any} */ ({ date: this.data.date }) })
      this.setData({ slots: (list.items || []).map((s) => ({ ...s, time: format.shortTime(s.start).slice(6), fee: format.yuan(s.fee_fen) })) })
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  pickDate(e) {
    this.setData({ date: e.currentTarget.dataset.date })
    this.loadSlots()
  },
  /** The patient's consent to medical-data processing, asked for once. */
  async ensureConsent() {
    const consent = await client.get('/api/v1/care/consent')
    if (consent.granted) return true
    const yes = await ui.modal({ title: i18n.t('care.consent_title'), content: i18n.t('care.consent_text'), showCancel: true, confirmText: i18n.t('care.consent_agree'), cancelText: i18n.t('common.cancel') })
    if (!yes) return false
    await client.post('/api/v1/care/consent', { body: { version: consent.version } })
    return true
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  async book(e) {
    try {
      if (!(await this.ensureConsent())) return
      const booking = await client.post('/api/v1/bookings', { body: { slot_id: e.currentTarget.dataset.id }, idempotencyKey: this.data.idempotencyKey })
      await ui.askSubscribe(config.SUBSCRIBE_TEMPLATES.booking)
      wx.redirectTo({ url: `/pages/bookings/detail?id=${booking.id}` })
    } catch (err) {
      if (!(err instanceof client.NetworkError)) this.setData({ idempotencyKey: client.newIdempotencyKey() })
      ui.showError(err)
    }
  },
})
