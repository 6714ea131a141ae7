// Home care (助餐, 助洁, 助浴, 助医, 助行) in my community: services with prices, an order for a time window
// at home, and my orders (and those of the parent I act for) with their progress.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const session = require('../../lib/session')
const ui = require('../../lib/ui')
const format = require('../../lib/format')

const i18n = require('../../lib/i18n')

// Until the provider starts the service the order can be cancelled; the backend has the last word
// (409 care.order_cancel_too_late, shown in the user's language).
const CANCELLABLE = ['submitted', 'accepted', 'assigned', 'en_route']

createPage({
  titleKey: 'care.eldercare',
  data: {
    communityCode: '',
    services: /** @type {any[]} */ ([]),
    kind: '',
    address: '',
    notes: '',
    dates: /** @type {{ d: string }[]} */ ([]),
    date: '',
    hour: '10',
    orders: /** @type {any[]} */ ([]),
  },
  onLoad() {
    const dates = [1, 2, 3].map((d) => ({ d: format.shanghaiDate(d) }))
    this.setData({ dates, date: dates[0].d })
    this.load()
  },
  async load() {
    try {
      const membership = await client.get('/api/v1/me/community', { quiet: true }).catch(() => null)
      if (membership && membership.community_id) {
        const community = await client.get('/api/v1/communities/{community_id}', { params: { community_id: String(membership.community_id) } })
        const code = String(/** @type {any} */ (community).code || '')
        const services = await client.get('/api/v1/care/eldercare/services', { query: /** @type {any} */ ({ community: code }) })
        const list = (services.items || []).filter((s) => s.kind !== 'emergency').map((s) => ({ ...s, price: format.yuan(s.price_fen) }))
        this.setData({ communityCode: code, services: list, kind: list.length ? String(list[0].kind) : '' })
      }
      if (session.tokens()) {
        const orders = await client.get('/api/v1/care/eldercare/orders', { quiet: true })
        this.setData({
          orders: (orders.items || []).map((/** @type {any} */ o) => ({ ...o, when: format.shortTime(o.window_start), cancellable: CANCELLABLE.includes(String(o.status)) })),
        })
      }
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  pickKind(e) {
    this.setData({ kind: e.currentTarget.dataset.kind })
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  pickDate(e) {
    this.setData({ date: e.currentTarget.dataset.date })
  },
  /** @param {WechatMiniprogram.Input} e */
  onAddress(e) {
    this.setData({ address: e.detail.value })
  },
  /** @param {WechatMiniprogram.Input} e */
  onNotes(e) {
    this.setData({ notes: e.detail.value })
  },
  async order() {
    const start = `${this.data.date}T${this.data.hour}:00:00+08:00`
    const end = `${this.data.date}T${String(Number(this.data.hour) + 1).padStart(2, '0')}:00:00+08:00`
    try {
      await client.post('/api/v1/care/eldercare/orders', {
        body: { kind: /** @type {any} */ (this.data.kind), community_code: this.data.communityCode, address: this.data.address, window_start: start, window_end: end, notes: this.data.notes || null },
      })
      ui.toast('care.ordered')
      await this.load()
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  async cancelOrder(e) {
    const id = String(e.currentTarget.dataset.id || '')
    if (!id) return
    const ok = await ui.modal({
      title: i18n.t('care.cancel_order'),
      content: i18n.t('care.cancel_order_confirm'),
      showCancel: true,
      confirmText: i18n.t('care.cancel_order'),
      cancelText: i18n.t('common.back'),
    })
    if (!ok) return
    try {
      await client.post('/api/v1/care/eldercare/orders/{order_id}/cancel', { params: { order_id: id } })
      ui.toast('care.order_cancelled')
    } catch (err) {
      await ui.showError(err)
    }
    await this.load()
  },
})
