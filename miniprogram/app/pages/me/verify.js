// Verification levels: wechat (signed in) -> phone (bound through WeChat's getPhoneNumber button) ->
// real_name (name + ID number checked by the identity system). Each step says why it is needed.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const session = require('../../lib/session')
const ui = require('../../lib/ui')

createPage({
  titleKey: 'verify.title',
  data: { level: '', phone: '', name: '', idNumber: '', step: '', busy: false },
  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ step: query.step || '' })
  },
  onShow() {
    this.load()
  },
  async load() {
    try {
      const me = await client.get('/api/v1/me')
      session.saveUser(me)
      this.setData({ level: me.level || 'wechat', phone: me.phone || '' })
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.CustomEvent<{ code?: string, errMsg?: string }>} e */
  async onPhone(e) {
    if (!e.detail.code) return // the user declined the phone-number sheet
    try {
      const me = await client.post('/api/v1/me/phone', { body: { code: e.detail.code } })
      session.saveUser(me)
      this.setData({ level: me.level || 'phone', phone: me.phone || '' })
      ui.toast('verify.phone_bound')
      if (this.data.step === 'phone') wx.navigateBack()
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.Input} e */
  onName(e) {
    this.setData({ name: e.detail.value })
  },
  /** @param {WechatMiniprogram.Input} e */
  onIdNumber(e) {
    this.setData({ idNumber: e.detail.value })
  },
  async verifyIdentity() {
    if (this.data.busy) return
    this.setData({ busy: true })
    try {
      const me = await client.post('/api/v1/me/identity', { body: { name: this.data.name, id_number: this.data.idNumber } })
      session.saveUser(me)
      this.setData({ level: me.level || 'real_name', name: '', idNumber: '' })
      ui.toast('verify.identity_done')
      if (this.data.step === 'identity') wx.navigateBack()
    } catch (err) {
      ui.showError(err)
    } finally {
      this.setData({ busy: false })
    }
  },
})
