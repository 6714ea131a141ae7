// Privacy (PIPL): the policy version I consented to, export everything held about me, delete my account.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const session = require('../../lib/session')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')

createPage({
  titleKey: 'privacy.title',
  data: { version: '', exported: /** @type {string[]} */ ([]), deleted: false },
  onShow() {
    const me = session.user()
    this.setData({ version: (me && me.privacy_policy_version) || '' })
  },
  async exportData() {
    try {
      const data = await client.get('/api/v1/me/export')
      const kinds = Object.keys(data || {})
      this.setData({ exported: kinds })
      // the file a citizen can keep: copied as JSON to the clipboard
      wx.setClipboardData({ data: JSON.stringify(data) })
      ui.toast('privacy.exported')
    } catch (err) {
      ui.showError(err)
    }
  },
  async deleteAccount() {
    const sure = await ui.modal({ content: i18n.t('privacy.delete_confirm'), showCancel: true, confirmText: i18n.t('privacy.delete'), cancelText: i18n.t('common.cancel') })
    if (!sure) return
    try {
      await client.del('/api/v1/me')
      session.clear()
      this.setData({ deleted: true })
      ui.toast('privacy.deleted')
      wx.reLaunch({ url: '/pages/home/index' })
    } catch (err) {
      ui.showError(err)
    }
  },
})
