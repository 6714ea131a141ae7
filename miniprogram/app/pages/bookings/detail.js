// One booking of any domain: where and when, its status, the check-in code as a QR code, the entry ticket
// for scenic areas, cancel.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')
const format = require('../../lib/format')

createPage({
  titleKey: 'booking.detail_title',
  data: { id: '', booking: /** @type {any} */ (null), when: '', ticket: /** @type {any} */ (null) },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ id: query.id || '' })
  },
  onShow() {
    if (this.data.id) this.load()
  },
  async load() {
    try {
      const booking = await client.get('/api/v1/bookings/{booking_id}', { params: { booking_id: this.data.id } })
      const when = `${format.shortTime(booking.slot && booking.slot.start)}–${format.shortTime(booking.slot && booking.slot.end).slice(6)}`
      this.setData({ booking, when })
      if (booking.resource && booking.resource.owner_domain === 'tourism') {
        const ticket = await client.get('/api/v1/tourism/tickets', { query: /** @type {any} */ ({ booking_id: booking.id }), quiet: true }).catch(() => null)
        this.setData({ ticket })
      }
    } catch (err) {
      ui.showError(err)
    }
  },
  async cancel() {
    const sure = await ui.modal({ content: i18n.t('booking.cancel_confirm'), showCancel: true, confirmText: i18n.t('booking.cancel'), cancelText: i18n.t('common.back') })
    if (!sure) return
    try {
      const booking = await client.post('/api/v1/bookings/{booking_id}/cancel', { params: { booking_id: this.data.id } })
      this.setData({ booking: { ...this.data.booking, ...booking } })
      ui.toast('booking.cancelled')
    } catch (err) {
      ui.showError(err)
    }
  },
})
