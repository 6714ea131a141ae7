// A scenic area: text, hours, tickets, the live crowd level with how old the figure is, and today's and the
// next days' timed-entry slots.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')
const format = require('../../lib/format')

createPage({
  titleKey: 'tourism.title',
  data: {
    id: '',
    area: /** @type {any} */ (null),
    crowd: /** @type {any} */ (null),
    crowdAge: '',
    dates: /** @type {{ d: string }[]} */ ([]),
    date: '',
    slots: /** @type {any[]} */ ([]),
  },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    const dates = [0, 1, 2, 3].map((d) => ({ d: format.shanghaiDate(d) }))
    this.setData({ id: query.id || '', dates, date: dates[1].d })
    this.load()
  },
  async load() {
    try {
      const area = await client.get('/api/v1/tourism/scenic-areas/{area_id}', {
        params: { area_id: this.data.id },
        query: /** @type {any} */ ({ lang: i18n.locale() }),
      })
      const tickets = (area.tickets || []).map((tk) => ({ ...tk, price: format.yuan(tk.price_fen) }))
      this.setData({ area: { ...area, tickets } })
      wx.setNavigationBarTitle({ title: String(area.name || '') })
      await Promise.all([this.loadCrowd(), this.loadSlots()])
    } catch (err) {
      ui.showError(err)
    }
  },
  async loadCrowd() {
    const crowd = await client.get('/api/v1/tourism/scenic-areas/{area_id}/crowd', { params: { area_id: this.data.id }, quiet: true })
    const age = Number(crowd.age_s || 0)
    const crowdAge = age < 60 ? i18n.t('tourism.crowd_age_s', { n: age }) : i18n.t('tourism.crowd_age_min', { n: Math.round(age / 60) })
    this.setData({ crowd, crowdAge })
  },
  async loadSlots() {
    const slots = await client.get('/api/v1/tourism/scenic-areas/{area_id}/slots', {
      params: { area_id: this.data.id },
      query: /** @type {any} */ ({ date: this.data.date }),
    })
    this.setData({
      slots: (slots.items || []).map((s) => ({ ...s, time: `${format.shortTime(s.start).slice(6)}–${format.shortTime(s.end).slice(6)}` })),
    })
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  pickDate(e) {
    this.setData({ date: e.currentTarget.dataset.date })
    this.loadSlots().catch(ui.showError)
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  book(e) {
    const slot = this.data.slots.find((s) => s.id === e.currentTarget.dataset.id)
    if (!slot) return
    wx.navigateTo({
      url: `/pages/tourism/book?slot=${slot.id}&area=${encodeURIComponent(this.data.area.name)}&time=${encodeURIComponent(`${this.data.date} ${slot.time}`)}`,
    })
  },
})
