// Health and care: hospitals (from the hospital system, cached; marked when stale), home care for me or a
// parent, and the emergency call (dispatched at once, the family told).
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const config = require('../../config')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')

createPage({
  titleKey: 'care.title',
  data: { hospitals: /** @type {any[]} */ ([]), stale: false, emergency: /** @type {any} */ (null), address: '' },
  onLoad() {
    this.load()
  },
  async load() {
    try {
      const list = await client.get('/api/v1/care/hospitals')
      this.setData({ hospitals: list.items || [], stale: !!list.stale })
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  open(e) {
    wx.navigateTo({ url: e.currentTarget.dataset.url })
  },
  /** @param {WechatMiniprogram.Input} e */
  onAddress(e) {
    this.setData({ address: e.detail.value })
  },
  /** The community where the phone is now (the responders come from there). */
  async nearestCommunity() {
    const here = await new Promise((resolve) => wx.getLocation({ type: 'gcj02', success: resolve, fail: () => resolve(null) }))
    if (!here) return undefined
    const list = await client.get('/api/v1/communities', { query: /** @type {any} */ ({ near: `${here.latitude},${here.longitude}`, limit: 1 }), quiet: true })
    const first = /** @type {any} */ ((list.items || [])[0])
    return first ? String(first.code) : undefined
  },
  async callForHelp() {
    const sure = await ui.modal({ title: i18n.t('care.emergency'), content: i18n.t('care.emergency_confirm'), showCancel: true, confirmText: i18n.t('care.emergency_call'), cancelText: i18n.t('common.cancel') })
    if (!sure) return
    try {
      // Without an address the API uses the one of the last home-care order.
      const address = this.data.address.trim()
      const body = address ? { address, community_code: await this.nearestCommunity() } : {}
      const emergency = await client.post('/api/v1/care/eldercare/emergency', { body })
      this.setData({ emergency })
      ui.toast('care.emergency_sent')
      // Only after the call is on its way (help is never held up by a pop-up): the next steps by WeChat too.
      await ui.askSubscribe(config.SUBSCRIBE_TEMPLATES.emergency)
    } catch (err) {
      ui.showError(err)
    }
  },
})
