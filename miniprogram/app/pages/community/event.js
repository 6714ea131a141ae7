// A community event: sign up through the booking engine; when it is full, join its waitlist.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const ui = require('../../lib/ui')
const format = require('../../lib/format')
const config = require('../../config')

createPage({
  titleKey: 'community.events',
  data: { id: '', event: /** @type {any} */ (null), when: '', idempotencyKey: '' },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ id: query.id || '', idempotencyKey: client.newIdempotencyKey() })
    this.load()
  },
  async load() {
    try {
      const event = await client.get('/api/v1/community/events/{event_id}', { params: { event_id: this.data.id } })
      this.setData({ event, when: `${format.shortTime(event.starts_at)}–${format.shortTime(event.ends_at).slice(6)}` })
    } catch (err) {
      ui.showError(err)
    }
  },
  async signUp() {
    const slotId = String(this.data.event.slot && this.data.event.slot.id)
    try {
      if (Number(this.data.event.remaining) > 0) {
        const booking = await client.post('/api/v1/bookings', { body: { slot_id: slotId }, idempotencyKey: this.data.idempotencyKey })
        await ui.askSubscribe(config.SUBSCRIBE_TEMPLATES.booking)
        wx.redirectTo({ url: `/pages/bookings/detail?id=${booking.id}` })
      } else {
        await client.post('/api/v1/slots/{slot_id}/waitlist', { params: { slot_id: slotId }, body: /** @type {any} */ ({}) })
        ui.toast('booking.waitlisted')
        await this.load()
      }
    } catch (err) {
      if (!(err instanceof client.NetworkError)) this.setData({ idempotencyKey: client.newIdempotencyKey() })
      ui.showError(err)
    }
  },
})
