// Timed entry for a group: one real-name visitor per person (name + ID number, masked in every answer).
// One Idempotency-Key per attempt at this booking: tapping "book" again after a failure cannot book twice.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const ui = require('../../lib/ui')
const config = require('../../config')

const MAX_VISITORS = 5

createPage({
  titleKey: 'tourism.book_title',
  data: {
    slotId: '',
    area: '',
    time: '',
    visitors: [{ name: '', id_number: '' }],
    submitting: false,
    idempotencyKey: '',
  },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ slotId: query.slot || '', area: query.area || '', time: query.time || '', idempotencyKey: client.newIdempotencyKey() })
  },
  addVisitor() {
    if (this.data.visitors.length >= MAX_VISITORS) return
    this.setData({ visitors: [...this.data.visitors, { name: '', id_number: '' }] })
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  removeVisitor(e) {
    const index = Number(e.currentTarget.dataset.index)
    this.setData({ visitors: this.data.visitors.filter((/** @type {any} */ _v, /** @type {number} */ i) => i !== index) })
  },
  /** @param {WechatMiniprogram.Input} e */
  onField(e) {
    const { index, field } = e.currentTarget.dataset
    this.setData({ [`visitors[${index}].${field}`]: e.detail.value })
  },
  async submit() {
    if (this.data.submitting) return
    this.setData({ submitting: true })
    try {
      const booking = await client.post('/api/v1/tourism/bookings', {
        body: { slot_id: this.data.slotId, visitors: this.data.visitors },
        idempotencyKey: this.data.idempotencyKey,
      })
      await ui.askSubscribe(config.SUBSCRIBE_TEMPLATES.booking)
      wx.redirectTo({ url: `/pages/bookings/detail?id=${booking.id}` })
    } catch (err) {
      // The backend answered: a new attempt is a new request. No answer: the next tap may repeat this one.
      if (!(err instanceof client.NetworkError)) this.setData({ idempotencyKey: client.newIdempotencyKey() })
      await ui.showError(err)
    } finally {
      this.setData({ submitting: false })
    }
  },
})
