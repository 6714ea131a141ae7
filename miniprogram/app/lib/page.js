// Every page is built with createPage: it gives the page its messages (`t`), the elder-mode flag and the
// "acting for" banner, keeps them current when the user changes language or mode elsewhere, and sets the
// navigation title from the page's `titleKey`.
const i18n = require('./i18n')
const session = require('./session')

/** The data every page has. */
function commonData() {
  const acting = session.actingFor()
  return { t: i18n.messages(), locale: i18n.locale(), elder: session.elderMode(), acting: acting ? acting.name : '' }
}

/**
 * @param {{ titleKey?: string, data?: Record<string, any> } & Record<string, any> & ThisType<WechatMiniprogram.Page.Instance<Record<string, any>, Record<string, any>>>} definition
 */
function createPage(definition) {
  const { onLoad, onShow, data, titleKey, ...rest } = definition
  Page({
    ...rest,
    data: { ...(data || {}), ...commonData() },
    refreshCommon() {
      this.setData(commonData())
      if (titleKey) wx.setNavigationBarTitle({ title: i18n.t(titleKey) })
    },
    /** @param {Record<string, string | undefined>} query */
    onLoad(query) {
      this.refreshCommon()
      return onLoad && onLoad.call(this, query)
    },
    onShow() {
      this.refreshCommon()
      return onShow && onShow.call(this)
    },
  })
}

module.exports = { createPage, commonData }
