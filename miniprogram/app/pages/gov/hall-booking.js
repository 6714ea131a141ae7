// Book a service-hall window for an item: the windows that handle it, a working day, a slot. Under a proxy
// the booking is made for the family member (the client sends X-Acting-For).
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')
const format = require('../../lib/format')
const config = require('../../config')

createPage({
  titleKey: 'gov.hall_booking_title',
  data: {
    itemCode: '',
    windows: /** @type {any[]} */ ([]),
    window: /** @type {any} */ (null),
    dates: /** @type {{ d: string }[]} */ ([]),
    date: '',
    slots: /** @type {any[]} */ ([]),
    idempotencyKey: '',
  },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    const dates = [1, 2, 3, 4, 5, 6, 7].map((d) => ({ d: format.shanghaiDate(d) }))
    this.setData({ itemCode: query.item || '', dates, date: dates[0].d, idempotencyKey: client.newIdempotencyKey() })
    this.load()
  },
  async load() {
    try {
      const item = await client.get('/api/v1/gov/items/{code}', { params: { code: this.data.itemCode }, query: /** @type {any} */ ({ lang: i18n.locale() }) })
      const windows = []
      for (const hall of item.halls || []) {
        for (const w of hall.windows || []) {
          if (!w.items || !w.items.length || w.items.includes(this.data.itemCode)) windows.push({ ...w, hallName: hall.name })
        }
      }
      this.setData({ windows, window: windows[0] || null })
      if (windows.length) await this.loadSlots()
    } catch (err) {
      ui.showError(err)
    }
  },
  async loadSlots() {
    const slots = await client.get('/api/v1/resources/{resource_id}/slots', {
      params: { resource_id: this.data.window.resource_id },
      query: /** @type {any} */ ({ date: this.data.date }),
    })
    this.setData({ slots: (slots.items || []).map((s) => ({ ...s, time: format.shortTime(s.start).slice(6) })) })
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  pickWindow(e) {
    this.setData({ window: this.data.windows.find((/** @type {any} */ w) => w.id === e.currentTarget.dataset.id) })
    this.loadSlots().catch(ui.showError)
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  pickDate(e) {
    this.setData({ date: e.currentTarget.dataset.date })
    this.loadSlots().catch(ui.showError)
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  async book(e) {
    try {
      const booking = await client.post('/api/v1/bookings', {
        body: /** @type {any} */ ({ slot_id: e.currentTarget.dataset.id, purpose: { item_code: this.data.itemCode } }),
        idempotencyKey: this.data.idempotencyKey,
      })
      this.setData({ idempotencyKey: client.newIdempotencyKey() })
      await ui.askSubscribe(config.SUBSCRIBE_TEMPLATES.booking)
      wx.redirectTo({ url: `/pages/bookings/detail?id=${booking.id}` })
    } catch (err) {
      if (!(err instanceof client.NetworkError)) this.setData({ idempotencyKey: client.newIdempotencyKey() })
      ui.showError(err)
    }
  },
})
