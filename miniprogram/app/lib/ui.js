// How errors reach the user: every API error shows the backend's translated message; a route that needs a
// higher verification level explains the step (`details.next`) and opens it; no answer at all offers a retry.
const client = require('../api/client')
const i18n = require('./i18n')

/**
 * @param {{ title?: string, content: string, confirmText?: string, cancelText?: string, showCancel?: boolean }} options
 * @returns {Promise<boolean>} whether the user confirmed
 */
function modal(options) {
  return new Promise((resolve) => {
    wx.showModal({
      showCancel: false,
      ...options,
      success: (res) => resolve(!!res.confirm),
      fail: () => resolve(false),
    })
  })
}

/** @param {InstanceType<typeof client.NetworkError>} err */
function askRetry(err) {
  return modal({
    title: i18n.t('error.network_title'),
    content: i18n.t(err.timeout ? 'error.timeout' : 'error.offline'),
    confirmText: i18n.t('common.retry'),
    cancelText: i18n.t('common.cancel'),
    showCancel: true,
  })
}
client.onNetworkFailure(askRetry)

const NEXT_PAGE = {
  '/api/v1/me/phone': '/pages/me/verify?step=phone',
  '/api/v1/me/identity': '/pages/me/verify?step=identity',
}

/**
 * Show what went wrong; returns after the user has read it.
 * @param {unknown} err
 */
async function showError(err) {
  if (err instanceof client.ApiError && err.code === 'auth.verification_required') {
    const who = err.details.who === 'represented' ? 'represented' : 'self'
    const required = String(err.details.required || '')
    const go = await modal({
      title: i18n.t('verify.needed_title'),
      content: `${err.message}\n${i18n.t(`verify.explain.${required}`)}${who === 'represented' ? `\n${i18n.t('verify.represented')}` : ''}`,
      confirmText: who === 'self' ? i18n.t('verify.go') : i18n.t('common.ok'),
      showCancel: who === 'self',
      cancelText: i18n.t('common.cancel'),
    })
    const next = /** @type {keyof typeof NEXT_PAGE} */ (String(err.details.next || ''))
    if (go && who === 'self' && NEXT_PAGE[next]) wx.navigateTo({ url: NEXT_PAGE[next] })
    return
  }
  if (err instanceof client.ApiError) {
    await modal({ title: i18n.t('error.title'), content: err.message, confirmText: i18n.t('common.ok') })
    return
  }
  if (err instanceof client.NetworkError) {
    await modal({ title: i18n.t('error.network_title'), content: i18n.t('error.offline'), confirmText: i18n.t('common.ok') })
    return
  }
  console.error(err)
  await modal({ title: i18n.t('error.title'), content: i18n.t('error.unexpected'), confirmText: i18n.t('common.ok') })
}

/** @param {string} key */
function toast(key) {
  wx.showToast({ title: i18n.t(key), icon: 'success' })
}

/**
 * Ask for subscribe-message consent at the moment it makes sense, and record what was accepted.
 * @param {string[]} templateIds
 */
function askSubscribe(templateIds) {
  return new Promise((resolve) => {
    wx.requestSubscribeMessage({
      tmplIds: templateIds,
      success: async (res) => {
        const accepted = templateIds.filter((id) => /** @type {any} */ (res)[id] === 'accept')
        if (accepted.length) {
          try {
            await client.post('/api/v1/me/subscriptions', { body: { template_ids: accepted }, quiet: true })
          } catch (err) {
            // a lost consent only means no WeChat message; the inbox has it anyway
          }
        }
        resolve(accepted)
      },
      fail: () => resolve([]),
    })
  })
}

module.exports = { modal, showError, toast, askSubscribe, askRetry }
