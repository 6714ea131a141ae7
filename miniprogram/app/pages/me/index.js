// Me: profile and verification level, language, elder mode, family members, what was done on my behalf,
// privacy, WeChat reminders, sign out. Signing in happens here or on the first action that needs it.
const { createPage } = require('../../lib/page')
const client = require('../../api/client')
const session = require('../../lib/session')
const i18n = require('../../lib/i18n')
const ui = require('../../lib/ui')
const config = require('../../config')

createPage({
  titleKey: 'me.title',
  data: { me: /** @type {any} */ (null), signedIn: false, languages: [{ code: 'zh_CN', label: '中文' }, { code: 'en', label: 'English' }] },
  onShow() {
    const signedIn = !!session.tokens()
    this.setData({ signedIn, me: session.user() })
    if (signedIn) this.load()
  },
  async load() {
    try {
      const me = await client.get('/api/v1/me')
      session.saveUser(me)
      if (me.locale) i18n.setLocale(/** @type {any} */ (me.locale))
      this.setData({ me, signedIn: true })
      this.refreshCommon()
    } catch (err) {
      ui.showError(err)
    }
  },
  async signIn() {
    try {
      await client.signIn()
      await this.load()
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  async setLanguage(e) {
    const locale = e.currentTarget.dataset.code
    i18n.setLocale(locale)
    this.refreshCommon()
    getApp().applyTabBar()
    if (!session.tokens()) return
    try {
      const me = await client.patch('/api/v1/me', { body: { locale } })
      session.saveUser(me)
      this.setData({ me })
    } catch (err) {
      ui.showError(err)
    }
  },
  /** @param {WechatMiniprogram.SwitchChange} e */
  async setElderMode(e) {
    const on = !!e.detail.value
    session.setElderMode(on)
    this.refreshCommon()
    if (!session.tokens()) return
    try {
      const me = await client.patch('/api/v1/me', { body: { elder_mode: on } })
      session.saveUser(me)
      this.setData({ me })
    } catch (err) {
      ui.showError(err)
    }
  },
  async subscribe() {
    const all = [...config.SUBSCRIBE_TEMPLATES.booking, ...config.SUBSCRIBE_TEMPLATES.case, ...config.SUBSCRIBE_TEMPLATES.report]
    const accepted = await ui.askSubscribe(all)
    if (accepted.length) ui.toast('me.subscribed')
  },
  /** @param {WechatMiniprogram.TouchEvent} e */
  go(e) {
    wx.navigateTo({ url: e.currentTarget.dataset.url })
  },
  async signOut() {
    try {
      await client.post('/api/v1/auth/logout', { body: {}, quiet: true })
    } catch (err) {
      // signed out locally either way
    }
    session.clear()
    this.setData({ signedIn: false, me: null })
    this.refreshCommon()
  },
})
