// The user's language: their saved preference (from /me, or chosen before signing in), else the phone's
// language, else zh_CN — like the backend. Message keys follow the backend's `<domain>.<thing>` ids.
const zh = require('../locales/zh_CN')
const en = require('../locales/en')

/** @typedef {'zh_CN' | 'en'} Locale */
/** @type {Record<Locale, Record<string, string>>} */
const CATALOGS = { zh_CN: zh, en }
const KEY = 'citizen.locale'

/** @returns {Locale} */
function locale() {
  const saved = wx.getStorageSync(KEY)
  if (saved === 'en' || saved === 'zh_CN') return saved
  try {
    const lang = String(wx.getSystemInfoSync().language || '')
    if (lang.toLowerCase().startsWith('en')) return 'en'
  } catch (err) {
    // no system info: the default language
  }
  return 'zh_CN'
}

/** @param {Locale | null | undefined} value */
function setLocale(value) {
  if (value === 'en' || value === 'zh_CN') wx.setStorageSync(KEY, value)
}

/** The value of Accept-Language for the backend. */
function acceptLanguage() {
  return locale() === 'en' ? 'en' : 'zh-CN'
}

/** Every message of the current language, for a page's `t` data. */
function messages() {
  return CATALOGS[locale()]
}

/**
 * One message with `{name}` placeholders filled.
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 */
function t(key, params) {
  const text = CATALOGS[locale()][key] ?? CATALOGS.zh_CN[key] ?? key
  return text.replace(/\{(\w+)\}/g, (_, name) => (params && name in params ? String(params[name]) : `{${name}}`))
}

module.exports = { locale, setLocale, acceptLanguage, messages, t, CATALOGS }
